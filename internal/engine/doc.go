// Package engine is drsorch's execution reconciler. It alone changes the
// status of executions, waves, launches and batches, under a lease, with
// versioned writes to the store; the API only writes requests (pause,
// resume, cancel, retry, cleanup) and wave approvals, which the engine
// carries out and clears.
//
// # A round
//
// Reconcile is one round. It claims (or renews) the lease of every
// actionable execution, observes the DRS jobs of all of them with one
// DescribeJobs call per account and region that is due, settles batches
// left REQUESTING, enriches launched servers from EC2, decides (controls,
// wave transitions, hooks, launch settings, health gates, the end of
// waves, of the execution and of a cleanup) and schedules new batches
// under the quotas. Every change is committed before the next outside call;
// a commit that fails (a lost lease, a version conflict) drops the
// execution from memory and the next round reloads it from the store.
//
// # Exactly-once launches
//
// StartRecovery takes no client token, so a batch is recorded before its
// call and found again after it:
//
//  1. Commit the batch REQUESTING with its RequestTime, and its launches
//     REQUESTED, before calling. Every later call for the batch commits a
//     new RequestTime first, too.
//  2. Call StartRecovery with the tags drsorch:execution and
//     drsorch:batch, then commit the job ID: the batch REQUESTED, its
//     launches LAUNCHING.
//  3. A batch still REQUESTING (after a crash, a takeover, a failed commit
//     or a failed call) is looked up with FindJobs over the jobs created
//     since RequestTime-1m in its account and region (no upper bound, so
//     that a DRS clock running ahead of ours still finds it). A job carrying its batch tag is
//     adopted. When none is found, the batch is requested again only once
//     its last call cannot create a job any more.
//
// When can a call no longer land? Each DRS call runs under a context
// with CallTimeout, so this process stops waiting for it, retries
// included, by RequestTime+CallTimeout; DRS may still be processing a
// request it received, which LandingMargin covers. After
// RequestTime+CallTimeout+LandingMargin a lookup that finds no job means
// there is none, and the batch may be requested again. RequestTime is the
// time of the latest call: earlier calls of the batch were each looked up,
// and found to have no job, after their own window had passed. A call that
// DRS itself answered with an error (quota, conflict, throttling,
// validation, not found) cannot land later, so in this process such a
// batch is requested again right after a lookup finds nothing; the lookup
// is still needed because the SDK may have retried inside the call after
// an attempt that did create a job. That knowledge is not persisted: after
// a restart every REQUESTING batch waits for its window. A
// ConflictException on a new request may mean that the job exists, so it
// leads to another lookup first. When none is found, the server DRS names
// is busy in a job of someone else's (or in its own earlier job that never
// finished): it leaves the batch, back to PENDING, so that the others go
// on; alone in its batch it waits, and fails once it has waited longer
// than its wave's launch timeout. The last line of defence is DRS itself:
// a server in an active job cannot be in a second one (ConflictException).
//
// Terminate jobs take no tags. A terminate batch adopts the TERMINATE job
// created since RequestTime-1m whose participating servers are exactly
// the batch's, and which no other batch holds.
//
// Only a validation or not-found error fails a batch: its servers fail
// with the message.
// Quota, conflict, throttling and 5xx answers back the account and region
// off (5s doubling to 2m, with jitter) and the batch is tried again.
//
// # Quotas and fairness
//
// Quotas (servers per job, active jobs, servers in active jobs) are
// counted per account and region over the batches of every execution this
// engine drives that may hold an unfinished job (REQUESTING, or REQUESTED
// and not seen to end). A wave larger than a job is split, its servers
// longest expected first, so that the slow ones share jobs. Executions
// waiting for the same capacity take one batch each in turn.
//
// # Observing
//
// A COMPLETED job is not a recovered server: each server's launchStatus
// decides. LAUNCHED records the recovery instance (its ID is also the EC2
// instance ID); FAILED takes its reason from the job log (LAUNCH_FAILED or
// a *_FAIL event for that server); a server still PENDING or IN_PROGRESS
// in a COMPLETED job fails. A job not finished StuckTimeout (or its wave's
// LaunchTimeoutMinutes) after its request fails its remaining servers.
// When a job ends is estimated from order statistics: it ends with the
// largest of its servers' launch durations. The engine keeps, per class
// (Windows or not, from the OS recorded on the launch), the last 1,000
// durations from request to the poll that saw a server LAUNCHED, each
// known to lie between that poll and the one before it, and learnt once
// its job has ended (those seen while it runs are its quickest). Before
// 10 of a class it assumes a prior, uniform within ±30% of
// ExpectedJobDuration (default 5m) for Linux and of four times that (20m)
// for Windows, centered on four times the Linux median, or a quarter of
// the Windows one, once the other class has been seen. From these, the
// probability that a job has ended by t is the product over its servers
// still running of their class's CDF, each given the time they have
// already run: a job's window opens when the largest of all its servers
// (or of those still running) has ended with probability 0.2, and closes
// when it has with probability 0.99, plus three PollMin. The region is
// polled at PollMin inside a window, at a window's opening before it (at
// most PollMax on), and half the time overdue after it, within
// PollMin..PollMax. A job whose end nothing waits for (another job of its
// wave is sure to end after it, and no launch of its account and region
// waits for room in the quotas) is polled at PollMax. Only
// records that changed are written.
//
// # Waves and the execution
//
// A wave starts when every wave in its DependsOn has ended (absent
// DependsOn: the previous wave) and, with PauseBefore, once approved
// (AWAITING_APPROVAL until then). Its before hooks are called first; a
// failing one fails the wave, whose servers are SKIPPED. Then its launch
// settings are applied (below), and its servers are batched. When all its
// launches are terminal the wave is VERIFYING while its health gate
// (below) and then its after hooks run (a failing after hook fails the
// wave, as a failed health gate does), then COMPLETED when every server
// launched, PARTIAL when the launched share reaches MinSuccessPercent
// (default 100), FAILED otherwise. The
// "stop" policy (the default) stops the plan on a FAILED wave only: waves
// not started yet are SKIPPED, waves already launching finish; PARTIAL
// goes on. "continue" always goes on.
//
// The execution ends when every wave has: CANCELLED after a cancel,
// COMPLETED when every wave completed, FAILED when a "stop" wave failed or
// no server launched at all, PARTIAL otherwise.
//
// Hooks are POSTed as JSON (HookPayload), each attempt with the hook's
// timeout (default 10s), 1+Retries attempts with backoff, only 2xx
// succeeding. They are called inside the round, which waits for them (all
// attempts must fit in RoundTimeout), and the lease is renewed before each.
// A result is recorded in WaveRun.Hooks right after the call and never
// called again for that run of the wave; a crash between the call and its
// record calls it again (at least once, not exactly once).
//
// # Launch settings
//
// Before a wave's first batch (the wave LAUNCHING, its before hooks done,
// the execution RUNNING) the engine applies the launch settings of its
// PENDING launches whose frozen group HasLaunchSettings and whose
// SettingsAppliedAt is nil: one Apply call of Options.Settings per
// account and region, with plan.SettingsTargets of those servers (a
// server whose effective settings manage nothing has nothing to apply and
// is marked applied). Each launch records SettingsAppliedAt and
// LaunchTemplateVersion, or SettingsError and fails with "launch
// settings: <error>"; an error of the whole call fails all of them.
// Either kind of error, when it says that DRS or EC2 did not answer
// (throttled after the clients' retries, a 5xx, unreachable; for one
// server, plan.AppliedSettings.Unanswered), leaves the servers concerned
// PENDING instead: one settings_deferred event is recorded, and they are
// applied again every 15s until the wave has run for its launch timeout
// (LaunchTimeoutMinutes, else StuckTimeout), after which the error fails
// them. Applying again is safe: only what differs is written. The outcome is committed, then the results (ExecutionID set) are written to
// the store when it has PutAppliedSettings (store.SettingsStore); a
// failure to write them is logged and holds nothing up. A launch whose
// settings are not applied is never batched. Without an applier the
// launches of a group with settings fail with "launch settings: no
// applier configured": never launched with their settings silently
// unapplied. A crash between the call and its commit applies them again
// next round, which writes nothing that is already in place. A retry of a
// failed launch clears its settings fields, so that they are applied
// again.
//
// # Health gates
//
// A settled wave whose plan wave has a HealthGate, with at least one
// launch LAUNCHED, becomes VERIFYING with WaveRun.Gate CHECKING (its
// StartTime, one GateCheck per kind it names); without a launched server
// it goes on without a gate. Every Interval() (each round a gate is due;
// the first at once) each check not yet passed is attempted once:
// statusChecks with one DescribeInstanceStatus of Options.EC2 per account
// and region of the wave's LAUNCHED instances, passing when every one is
// running with system and instance status ok (the message counts those
// that are not and names a few; without an EC2 source it fails with "no
// EC2 client"); checkUrl with one POST of a plan.GateRequest (the
// instances with their private IPs) by Options.GateClient, each attempt
// with a 10s timeout, passing on 2xx. A check that passed is not run
// again in that gate run. When all have passed the gate is PASSED, the
// after hooks are called and the wave ends as above. When Timeout() has
// passed since StartTime with a check not passed, the gate is FAILED and
// the wave FAILED with "health gate: <kind>: <message>"; the failure
// policy applies as for any FAILED wave. Events: gate_started,
// gate_check_failed (when a check's outcome, its message, changes, not at
// every attempt), gate_passed, gate_failed. A gate never blocks a round:
// it makes at most one attempt per check per round, and the loop wakes
// for a gate's next attempt when that comes before PollMin. Waves that
// depend on a gated wave wait for it to end. A pause does not stop a
// gate: its checks only read, and its timeout runs on (a wave whose gate
// passes while paused ends; the next one waits for the resume). A cancel
// ends a wave waiting for its gate at once: the gate FAILED, the wave
// CANCELLED. A retry runs a wave its gate failed again (its servers as
// they are), and clears the Gate of every wave it runs again.
//
// # Enrichment
//
// With an EC2 source, every round describes, with one DescribeInstances
// per account and region, the instances of launches LAUNCHED with an EC2
// instance ID and no PrivateIP yet, and records PrivateIP, InstanceType,
// InstanceState and SubnetID; while a wave's gate runs, the InstanceState
// of its instances is refreshed at each of its attempts. An instance EC2
// does not know yet (or that has no private IP) is asked about again
// after PollMax, not every round. Only launches that changed are written.
// A failed call is logged, once while it repeats; it fails neither the
// round nor Health. Without an EC2 source nothing is described.
//
// # Controls
//
//   - Pause: RUNNING becomes PAUSED; no wave or batch starts and no
//     launch settings are applied; jobs are still observed and health
//     gates still checked. Resume: back to RUNNING.
//   - Cancel: CANCELLING; no new launches, PENDING launches SKIPPED, waves
//     not started and waves waiting for their health gate CANCELLED;
//     CANCELLED once the running jobs settle.
//   - Retry (not of a cancelled execution): FAILED launches go back to
//     PENDING with Attempts+1 (their launch settings and EC2 details
//     cleared), their ended waves and the waves their health gate failed
//     to LAUNCHING (a new run of the wave: its hooks are called again, its
//     gate starts over), waves SKIPPED by the stop policy to PENDING, and
//     an ended execution to RUNNING.
//   - Cleanup (drills, after the execution ended): Cleanup RUNNING, the
//     recovery instances of LAUNCHED launches terminated in batches
//     (TERMINATING, then TERMINATED), then Cleanup COMPLETED, or FAILED
//     when some could not be terminated (their launch stays LAUNCHED with
//     an error starting "terminate: "). The request flag stays set until
//     the cleanup ends, so that the execution stays claimed meanwhile.
//     First, once per cleanup, the jobs whose servers were failed for not
//     finishing within the launch timeout are described again: a server
//     such a job launched since becomes LAUNCHED with that instance
//     (event server_launched_late), and is terminated with the others; a
//     job still running is named in a late_job_running event, since an
//     instance it launches later is not cleaned up.
//
// A flag that does not apply (pause of a cancelled execution, cleanup of a
// recovery) is cleared without effect.
//
// # What a new execution must look like
//
// The code that starts executions writes, with store.CreateExecution:
//
//   - the Execution: ID (plan.NewID(plan.PrefixExecution)), PlanID,
//     PlanName, Mode (plan.ModeDrill or plan.ModeRecovery), Status
//     plan.ExecPending, Plan frozen and normalized (every wave's DependsOn
//     explicit), Groups, PointInTime when asked for, CreatedAt, Cleanup
//     plan.CleanupNotStarted for a drill (empty is read the same way) and
//     empty for a recovery; Requests, StartTime, EndTime and the lease
//     left empty;
//   - one WaveRun per plan wave: Index its position in Plan.Waves, Name the
//     wave's name, Status plan.WavePending, nothing else;
//   - one Launch per server of every group of every wave: Wave, GroupID,
//     SourceServerID, AccountID and Region of its group, optionally
//     Hostname, RecoverySnapshotID and PointInTime (the snapshot chosen),
//     Status plan.LaunchPending, everything else empty. A source server
//     appears at most once in an execution.
//
// No batches: the engine creates them.
package engine
