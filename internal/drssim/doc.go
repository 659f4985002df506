// Package drssim is a wire-compatible emulator of AWS Elastic Disaster
// Recovery (DRS), API version 2020-02-26, for one account in one region.
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
// faults and clock; PUT faults; POST clock/advance?by=10m. Stats records
// requests and errors per operation and high-water marks of active jobs,
// servers in active jobs, servers per job and jobs per server.
package drssim
