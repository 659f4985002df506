// Package report turns stored executions into evidence and foresight: the
// report of one execution (JSON, CSV, printable HTML), the RTO trend of a
// plan's drills with a slowdown alert and an SVG chart, and a prediction
// of a plan's makespan from its past drills and the DRS quotas.
//
// # Definitions
//
// Durations are measured on the engine's records:
//
//   - A wave's duration is its EndTime minus its StartTime: from the moment
//     it started (its approval, when gated, already given) to the moment
//     its last server was seen to end and its after hooks had run.
//   - A server's launch duration is its LaunchTime minus its RequestTime:
//     from the StartRecovery call of its batch to the poll that saw it
//     LAUNCHED.
//   - The total duration of an execution is its EndTime minus its
//     CreatedAt: the RTO clock starts when recovery is asked for, not when
//     the engine picks the execution up, and it includes every wait for an
//     approval. The RTO is met when the total is at most the plan's
//     rtoMinutes.
//
// The point in time a server was recovered to is the snapshot the
// execution chose for it (Launch.PointInTime, set when the execution was
// started with a point in time, or with "consistent": then each wave's
// servers share the instant WaveReport.PointInTime, and each server's
// point is its latest snapshot at or before it); without one, DRS took a
// fresh snapshot when the launch was requested, and the point is the
// launch's RequestTime. The achieved RPO of a server is the data it lost relative
// to the moment recovery was asked for: the execution's CreatedAt minus
// that point, never below zero. For a fresh snapshot it is zero; the
// replication lag of that moment (seconds for a healthy server) is not
// recorded and so not included.
package report
