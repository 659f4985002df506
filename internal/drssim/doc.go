// Package drssim is a wire-compatible emulator of AWS Elastic Disaster
// Recovery (DRS), API version 2020-02-26, and of the part of EC2 it
// launches into, for one account in one region.
// A *Sim is an http.Handler that speaks the DRS REST-JSON protocol, so the
// real aws-sdk-go-v2 DRS client (or any other AWS SDK) talks to it
// unchanged through BaseEndpoint, or in-process through Transport.
//
// # What is emulated
//
// StartRecovery (202), DescribeJobs, DescribeJobLogItems,
// DescribeSourceServers, DescribeRecoveryInstances,
// DescribeRecoverySnapshots, TerminateRecoveryInstances,
// DisconnectRecoveryInstance, GetLaunchConfiguration,
// UpdateLaunchConfiguration, ListTagsForResource, TagResource,
// UntagResource (GET, POST, DELETE /tags/{ARN}, the ARN one
// percent-encoded path segment) and InitializeService (204, no body).
// Every other operation of the model answers 400 ValidationException with
// reason unknownOperation; a path or method that is no DRS operation
// answers 404 UnknownOperationException. Signatures are not checked.
//
// Errors always carry X-Amzn-ErrorType and x-amzn-RequestId, a JSON body
// with message, and code equal to the exception name where the shape has
// a code member, plus resourceId/resourceType, serviceCode/quotaCode or
// reason/fieldList where the shape has them. Statuses: Validation and
// UninitializedAccount 400, ServiceQuotaExceeded 402, ResourceNotFound
// 404, Conflict 409, Throttling 429 and InternalServer 500, the last two
// with an integer Retry-After header. Date-times are RFC 3339 UTC with
// microseconds and a Z suffix; durations are ISO 8601 (lagDuration
// "PT12S", elapsedReplicationDuration "P152DT3H").
//
// SDK clients that reach the emulator over loopback should send through
// BufferedBodies (see there why); the in-process Transport needs nothing.
//
// # Choices where the reference is uncertain
//
//   - The emulator validates what the SDKs do not (list caps, ID patterns,
//     enums, lengths) and answers ValidationException, also for the
//     operations whose model lists no ValidationException (StartRecovery,
//     TerminateRecoveryInstances, DescribeRecoveryInstances). The Go SDK
//     surfaces those as a smithy.GenericAPIError with code
//     ValidationException. StartRecovery and TerminateRecoveryInstances
//     accept 1 to 200 entries; DescribeJobs 1,000 job IDs;
//     DescribeSourceServers and DescribeRecoveryInstances 200 IDs.
//   - An unknown ID named directly (a StartRecovery source server or
//     snapshot, a terminate's instance, GetLaunchConfiguration, a job log,
//     a snapshot listing, an ARN) is ResourceNotFoundException (404) with
//     resourceId and resourceType SOURCE_SERVER, RECOVERY_SNAPSHOT,
//     RECOVERY_INSTANCE, JOB or RESOURCE, even where the operation does not
//     model it. Unknown IDs inside list filters are silently left out.
//   - StartRecovery checks, in order: shape, existence, more than
//     ServersPerJob servers (402, quotaCode L-B827C881), a server already
//     in JobsPerServer active jobs (409 ConflictException, resourceId the
//     server, resourceType SOURCE_SERVER), ActiveJobs active jobs (402,
//     L-D88FAC3A), more than ServersInActiveJobs servers in active jobs
//     (402, L-05AFA8C6). Only PENDING and STARTED jobs count.
//   - TerminateRecoveryInstances makes a TERMINATE job that counts against
//     the active-job quotas and occupies its source servers (so a server
//     cannot launch while its instance is being terminated). An instance
//     already being terminated, or whose source server is in an active job,
//     is a ConflictException with resourceType RECOVERY_INSTANCE. The
//     per-job quota of 100 does not apply to it.
//   - Pagination: without maxResults a page has Options.PageSize items
//     (100); maxResults is clamped to Options.MaxPageSize (1000). Tokens
//     are opaque, tied to their operation, advance on every page and are
//     absent on the last page. DescribeJobs is newest first and its token
//     is a position in creation order, so jobs created between pages do not
//     shift it. fromDate and toDate bound creationDateTime inclusively and
//     accept RFC 3339 with Z or an offset, with or without fraction, a
//     zone-less date-time (UTC) or a bare date.
//   - DescribeSourceServers lists in inventory order; DescribeRecoveryInstances
//     oldest first; DescribeRecoverySnapshots oldest first unless order is
//     DESC, its date filters bounding timestamp inclusively.
//   - Recovery instances stay until terminated (a drill does not replace
//     the previous drill's instance unless Options.ReplaceDrillInstances);
//     SourceServer.recoveryInstanceId names the newest. An instance is
//     created when its launch succeeds; its ID (also ec2InstanceID) is
//     chosen at LAUNCH_START and shown as targetInstanceID. Its tags are the
//     source server's (when the launch configuration's copyTags is set)
//     overlaid with the job's tags; ec2InstanceState is RUNNING, or STOPPED
//     when launchDisposition is STOPPED.
//   - Job logs: JOB_START; per server SNAPSHOT_START and SNAPSHOT_END (or
//     USING_PREVIOUS_SNAPSHOT when recoverySnapshotID is given),
//     CONVERSION_START and CONVERSION_END with conversionServerID,
//     LAUNCH_START with targetInstanceID, LAUNCH_FAILED with rawError on
//     failure; JOB_END. Terminate jobs log only JOB_START and JOB_END.
//     There is no LAUNCH_END: success shows as launchStatus LAUNCHED.
//   - Snapshots are not stored: each server has one every 10 emulated
//     minutes on its own grid, the newest 144 (a day) kept, from its first
//     replicated byte until it stopped replicating. IDs encode the server
//     and the grid slot, so a StartRecovery naming a snapshot that aged out
//     gets ResourceNotFoundException. On-demand snapshots taken by a job are
//     not listed.
//   - A STALLED or DISCONNECTED server can still be launched (from its last
//     data); its replication state never changes. InitializeService is
//     idempotent.
//
// # EC2
//
// The same handler (and Transport) serves the subset of the EC2 Query API
// (version 2016-11-15) drsorch uses, so one endpoint serves both the DRS
// and the EC2 SDK clients: a POST to / with a form body is EC2, anything
// else DRS. Emulated: DescribeSubnets, DescribeSecurityGroups,
// DescribeNetworkInterfaces, DescribeInstances, DescribeInstanceStatus,
// DescribeLaunchTemplateVersions, CreateLaunchTemplateVersion,
// ModifyLaunchTemplate (SetDefaultVersion), CreateTags and DeleteTags
// (instances only). Any other action answers 400 InvalidAction. Answers
// are <ActionResponse xmlns=...> documents with requestId; errors are
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
// with 400, 503 RequestLimitExceeded for an injected throttle and 500
// InternalError for an injected error (Faults apply to EC2 actions by
// their Action name). The DRS initialization gate does not apply.
//
// Network (fixed): the recovery VPC vpc-0e5a1d00000000001 10.10.0.0/16,
// subnets subnet-0e5a1d00000000011/12/13 (10.10.1.0/24, 10.10.2.0/24,
// 10.10.3.0/24 in zones a, b, c), security groups sg-0e5a1d00000000021
// default, …22 db, …23 app, …24 web. Two more networks exist but are
// listed only when named by ID or by a vpc-id/subnet-id filter, so that an
// unfiltered listing shows the recovery network alone: the source site
// (vpc-0e5a1d00000000002, subnet-0e5a1d00000000031 10.10.0.0/16, group
// sg-0e5a1d00000000025), a production network mirroring the recovery
// CIDR, where every source server's own EC2 instance runs; and the default
// VPC (vpc-0e5a1d00000000003, subnet-0e5a1d00000000041 172.16.0.0/12,
// group sg-0e5a1d00000000041), which takes recovery instances whose
// template names no network once the first subnet is full, so that
// inventories of thousands keep launching.
//
// Every source server has a source instance (running, its inventory type,
// tags = inventory tags plus Name, Team and CostCenter, changed only by
// CreateTags/DeleteTags) named by identificationHints.awsInstanceID, with
// sourceCloudProperties naming the emulator's account and region. Its
// address is the server's source IP: the first 251 servers of each tier
// (db, app, web; other servers round-robin) sit at 10.10.1.4+, 10.10.2.4+
// and 10.10.3.4+, so copyPrivateIp lands inside the matching recovery
// subnet; later ones continue at 10.10.4.x and beyond. Each server has a
// launch template (lt-…, named drs-<server ID>) whose version 1, written
// by DRS, holds only the BASIC instance type. EC2 state is built on first
// use, so DRS-only clients of large inventories never pay for it.
//
// Launch templates: CreateLaunchTemplateVersion inherits from
// SourceVersion every member it does not give; network interfaces, tag
// specifications and security groups given replace the source's lists.
// It does not change the default. A request repeated with its
// ClientToken gets the version the first made (the token with another
// request: IdempotentParameterMismatch). IDs and addresses are checked for
// shape (…Malformed, InvalidParameterValue), not existence: as in EC2,
// those are checked when an instance launches. UpdateLaunchConfiguration
// writes a new version derived from the latest version DRS itself wrote
// (so EC2-level edits made since are dropped from the default) with the
// instance type of the right-sizing (BASIC: chosen from cores and memory
// per core; IN_AWS: the source's type; NONE: unchanged), and makes it the
// default.
//
// A recovery instance, created when its launch ends, takes from the
// default template version: the type (unless right-sizing BASIC or IN_AWS
// decides), the subnet and groups of the interface at device index 0 (else
// the top-level groups; defaults: the first subnet and its VPC's default
// group), the profile and the instance tags, overlaid with the source
// server's tags when copyTags and with the job's tags. Its address is the
// interface's PrivateIpAddress, else the source's address when
// copyPrivateIp, else the next free one of the subnet, never one of the
// five reserved and, as the allocation cursor only moves on, not a freed
// one again until the subnet wraps. A missing subnet or group, a group of
// another VPC, an address outside the subnet, a full subnet or an address
// in use (InvalidIPAddress.InUse, also when the holder is an older
// recovery instance of the same server), or security groups named both
// for the instance and for a network interface
// (InvalidParameterCombination), fails that server's launch with the EC2
// error in rawError. Each instance has one network interface,
// deleted with it. Terminating a recovery instance makes its EC2 instance
// shutting-down, then terminated; terminated instances stay listed.
//
// Status checks: a running recovery instance's system and instance
// checks are initializing until Options.StatusCheckDelay (default 2m,
// emulated) after it was created, then ok; impaired while
// SetInstanceImpaired (or PUT /_sim/ec2/impaired) holds; not-applicable
// when not running. DescribeInstanceStatus lists only running instances
// unless IncludeAllInstances.
//
// Pagination: without MaxResults everything comes in one answer, as EC2
// does; MaxResults (5 to 1000; 1 to 200 for launch template versions) with
// opaque NextToken otherwise, and MaxResults with explicit IDs is
// InvalidParameterCombination. Explicit unknown IDs are …NotFound (naming
// them all); unknown IDs in filters are left out.
//
// # Time
//
// Emulated time is start + (Clock() - start) * TimeScale + offset, where
// start is Clock() at New and offset grows with Advance (or POST
// /_sim/clock/advance). Nothing runs in the background: every request,
// before anything else, applies all job events due by the current emulated
// time, in time order. A test therefore drives jobs with a fake Clock, with
// Advance, or with a testing/synctest bubble, and sees exact, repeatable
// states. A launch job is PENDING for 5 to 25 s, then each server takes
// about 5 minutes (Linux) or 20 (Windows), ±30%: 12% snapshot, 55%
// conversion, the rest launch. A terminate takes 1 to 5 minutes per
// instance. The job is COMPLETED, with endDateTime, when its last server is
// done, even if every server failed.
//
// # Faults
//
// Options.Faults, the --faults flag of drsorch sim and PUT /_sim/faults set
// them; the compact form is
//
//	throttle=0.05,error=0.02,launchfail=0.1,slow=0.1,slowfactor=5,stuck=0.01,
//	failservers=s-0123456789abcdef0;s-0123456789abcdef1,
//	failnext=StartRecovery:2;DescribeJobs:1:throttle
//
// throttle and error are per-request rates of 429 and 500; launchfail a
// per-server rate of LAUNCH_FAILED; slow the rate of jobs whose phases last
// slowfactor (default 5) times longer; stuck the rate of jobs that never
// finish; failservers always fail to launch; failnext fails the next N
// requests of an operation with a 500 (or a 429 with :throttle). Each
// decision hashes the seed with the request's sequence number, or with
// the job and server IDs, so the same seed and the same requests give the
// same faults.
//
// # Inspection
//
// Under /_sim/ (never faulted, never gated): GET stats, launches, servers,
// faults, clock and ec2 (the fixed network and the launch templates); PUT
// faults and ec2/impaired ({instanceIds, impaired}); POST
// clock/advance?by=10m. Go helpers: Network, Instance, SourceInstanceID,
// LaunchTemplateID and SetInstanceImpaired. Stats records
// requests and errors per operation and high-water marks of active jobs,
// servers in active jobs, servers per job and jobs per server.
package drssim
