package plan

import (
	"fmt"
	"strings"
)

// FieldError is one problem with a definition: a stable code for programs,
// the path of the field at fault (such as "waves[2].dependsOn[0]"; empty
// for the object as a whole) and a message for people.
type FieldError struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e FieldError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("%s (%s)", e.Message, e.Code)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Code)
}

// Errors lists every problem validation found, in the order of the fields.
// Validation returns it as an error; callers find it with errors.As.
type Errors []FieldError

func (e Errors) Error() string {
	switch len(e) {
	case 0:
		return "no errors"
	case 1:
		return e[0].String()
	}
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.String()
	}
	return fmt.Sprintf("%d problems: %s", len(e), strings.Join(parts, "; "))
}

// add records one problem.
func (e *Errors) add(code, field, format string, args ...any) {
	*e = append(*e, FieldError{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns e as an error, or a true nil when there are no problems: a nil
// Errors stored in an error interface would not compare equal to nil.
func (e Errors) err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Validation codes. They are part of the API: clients match on them.
const (
	CodeNameRequired         = "name_required"
	CodeNameTooLong          = "name_too_long"
	CodeNameInvalid          = "name_invalid"
	CodeDuplicateName        = "duplicate_name"
	CodeDescriptionTooLong   = "description_too_long"
	CodeAccountIDInvalid     = "account_id_invalid"
	CodeRegionRequired       = "region_required"
	CodeRegionInvalid        = "region_invalid"
	CodeServersRequired      = "servers_required"
	CodeTooManyServers       = "too_many_source_servers"
	CodeServerIDInvalid      = "source_server_id_invalid"
	CodeDuplicateServer      = "duplicate_source_server"
	CodeServerInOtherGroup   = "server_in_other_group"
	CodeSelectorEmpty        = "selector_empty"
	CodeTooManyTags          = "too_many_tags"
	CodeTagKeyEmpty          = "tag_key_empty"
	CodeTagKeyTooLong        = "tag_key_too_long"
	CodeTagValueTooLong      = "tag_value_too_long"
	CodeRTONegative          = "rto_negative"
	CodeWavesRequired        = "waves_required"
	CodeTooManyWaves         = "too_many_waves"
	CodeWaveGroupsRequired   = "wave_groups_required"
	CodeTooManyGroups        = "too_many_groups"
	CodeUnknownGroup         = "unknown_group"
	CodeDuplicateGroup       = "duplicate_group"
	CodeUnknownWave          = "unknown_wave"
	CodeDuplicateDependency  = "duplicate_dependency"
	CodeDependencyCycle      = "dependency_cycle"
	CodeFailurePolicyInvalid = "failure_policy_invalid"
	CodeMinSuccessPercent    = "min_success_percent_out_of_range"
	CodeTooManyHooks         = "too_many_hooks"
	CodeHookURLInvalid       = "hook_url_invalid"
	CodeHookTimeoutInvalid   = "hook_timeout_invalid"
	CodeHookRetriesInvalid   = "hook_retries_invalid"
	CodeLaunchTimeoutInvalid = "launch_timeout_out_of_range"
)

// Limits that keep definitions sane. They bound the work one request can
// cause, not what DRS could do.
const (
	MaxNameLen           = 128
	MaxDescriptionLen    = 1024
	MaxSourceServerIDs   = 1000
	MaxSelectorTags      = 50
	MaxTagKeyLen         = 128
	MaxTagValueLen       = 256
	MaxWaves             = 100
	MaxGroupsPerWave     = 100
	MaxHooksPerPhase     = 10
	MaxHookURLLen        = 2048
	MaxHookTimeoutSecond = 3600
	MaxHookRetries       = 10
)

// MaxLaunchTimeoutMinutes bounds a wave's launchTimeoutMinutes: a day.
const MaxLaunchTimeoutMinutes = 1440
