package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{
	"executionId", "planName", "mode", "wave", "sourceServerId", "hostname",
	"protectionGroupId", "accountId", "region", "status", "requestTime",
	"launchTime", "launchSeconds", "pointInTime", "pointInTimeSource",
	"rpoSeconds", "jobId", "recoveryInstanceId", "ec2InstanceId",
	"recoverySnapshotId", "attempts", "error", "privateIp", "instanceType",
	"instanceState", "subnetId", "settingsAppliedAt", "launchTemplateVersion",
	"settingsError",
}

// WriteCSV writes r as CSV: the header, then one row per server, wave by
// wave. Times are RFC 3339 in UTC; absent values are empty cells.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, wv := range r.Waves {
		for _, s := range wv.Servers {
			row := []string{
				r.ExecutionID, r.PlanName, r.Mode, s.Wave, s.SourceServerID, s.Hostname,
				s.GroupID, s.AccountID, s.Region, s.Status, csvTime(s.RequestTime),
				csvTime(s.LaunchTime), csvNum(s.LaunchSeconds), csvTime(s.PointInTime),
				s.PointInTimeSource, csvNum(s.RPOSeconds), s.JobID, s.RecoveryInstanceID,
				s.EC2InstanceID, s.RecoverySnapshotID, strconv.Itoa(s.Attempts), s.Error,
				s.PrivateIP, s.InstanceType, s.InstanceState, s.SubnetID,
				csvTime(s.SettingsAppliedAt), csvInt(s.LaunchTemplateVersion), s.SettingsError,
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func csvNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func csvInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
