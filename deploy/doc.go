// Package deploy holds drsorch's deployment: the IAM policy, the
// CloudFormation templates of the service and of the role in target
// accounts. It has no code; its tests hold the policy and the templates to
// the AWS operations the code calls and to the table the store creates.
package deploy
