// Package awstest helps tests that build real AWS SDK clients: it keeps
// them from the machine's own AWS configuration.
package awstest

import (
	"path/filepath"
	"testing"
)

// IsolateEnv points the SDK at static test credentials and empty
// configuration files for the rest of t, and clears every variable that
// would send requests elsewhere or change how they are retried, so that a
// developer's profile, region or endpoints never reach a test.
func IsolateEnv(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "secrettest",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_DRS":        "",
		"AWS_ENDPOINT_URL_EC2":        "",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
		"AWS_CA_BUNDLE":               "",
	} {
		t.Setenv(k, v)
	}
}
