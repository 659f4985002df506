package plan

// Validation codes of launch settings and health gates. Those marked EC2
// need a look at EC2 and are reported by the launch settings service
// (internal/launchcfg) rather than by ValidateGroup.
const (
	CodeSubnetIDInvalid          = "subnet_id_invalid"
	CodeSecurityGroupIDInvalid   = "security_group_id_invalid"
	CodeInstanceTypeInvalid      = "instance_type_invalid"
	CodeRightSizingInvalid       = "right_sizing_invalid"
	CodeInstanceTypeRightSizing  = "instance_type_needs_right_sizing_none"
	CodeInstanceProfileInvalid   = "instance_profile_invalid"
	CodeDispositionInvalid       = "launch_disposition_invalid"
	CodeLaunchTagInvalid         = "launch_tag_invalid"
	CodePrivateIPInvalid         = "private_ip_invalid"
	CodePrivateIPOnGroup         = "private_ip_on_group"
	CodePrivateIPNeedsSubnet     = "private_ip_needs_subnet"
	CodePrivateIPCopyConflict    = "private_ip_copy_conflict"
	CodePrivateIPDuplicate       = "private_ip_duplicate"
	CodeServerSettingsNotInGroup = "server_settings_not_in_group"

	CodeSubnetNotFound          = "subnet_not_found"          // EC2
	CodeSecurityGroupNotFound   = "security_group_not_found"  // EC2
	CodeSecurityGroupOtherVPC   = "security_group_other_vpc"  // EC2
	CodePrivateIPOutsideSubnet  = "private_ip_outside_subnet" // EC2
	CodePrivateIPReserved       = "private_ip_reserved"       // EC2
	CodePrivateIPInUse          = "private_ip_in_use"         // EC2
	CodeLaunchSettingsUnchecked = "launch_settings_unchecked" // EC2 could not be reached

	CodeGateEmpty         = "health_gate_empty"
	CodeGateURLInvalid    = "health_gate_url_invalid"
	CodeGateTimeoutRange  = "health_gate_timeout_out_of_range"
	CodeGateIntervalRange = "health_gate_interval_out_of_range"
)

// AddError appends one problem to e; packages that validate against
// outside systems report with it in the same shape as ValidateGroup.
func (e *Errors) AddError(code, field, format string, args ...any) {
	e.add(code, field, format, args...)
}

// Err returns e as an error, or a true nil when e is empty.
func (e Errors) Err() error { return e.err() }
