package elbv2emulator

import "fmt"

// apiError is an error the API answers with: ELBv2's error code (the
// awsQuery code the SDK maps to its typed exceptions, e.g.
// TargetGroupNotFound → *types.TargetGroupNotFoundException), a message
// and the HTTP status.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: 400}
}

// The codes berth can meet, as ELBv2 spells them.
const (
	codeValidation             = "ValidationError"
	codeLoadBalancerNotFound   = "LoadBalancerNotFound"
	codeTargetGroupNotFound    = "TargetGroupNotFound"
	codeListenerNotFound       = "ListenerNotFound"
	codeRuleNotFound           = "RuleNotFound"
	codeDuplicateLoadBalancer  = "DuplicateLoadBalancerName"
	codeDuplicateTargetGroup   = "DuplicateTargetGroupName"
	codeDuplicateListener      = "DuplicateListener"
	codeDuplicateTagKeys       = "DuplicateTagKeys"
	codePriorityInUse          = "PriorityInUse"
	codeResourceInUse          = "ResourceInUse"
	codeInvalidTarget          = "InvalidTarget"
	codeIncompatibleProtocols  = "IncompatibleProtocols"
	codeUnsupportedProtocol    = "UnsupportedProtocol"
	codeInvalidAction          = "InvalidLoadBalancerAction"
	codeInvalidConfiguration   = "InvalidConfigurationRequest"
	codeOperationNotPermitted  = "OperationNotPermitted"
	codeTargetGroupAssociation = "TargetGroupAssociationLimit"
	codeCertificateNotFound    = "CertificateNotFound"
	codeTooManyLoadBalancers   = "TooManyLoadBalancers"
	codeTooManyTargetGroups    = "TooManyTargetGroups"
	codeTooManyTargets         = "TooManyTargets"
	codeTooManyListeners       = "TooManyListeners"
	codeTooManyRules           = "TooManyRules"
	codeTooManyTags            = "TooManyTags"
	codeTooManyActions         = "TooManyActions"
	codeTooManyRegistrations   = "TooManyRegistrationsForTargetId"
	codeInvalidAPIAction       = "InvalidAction"
	codeMissingAction          = "MissingAction"
	codeInternalFailure        = "InternalFailure"
)

func validationErr(format string, args ...any) *apiError {
	return apiErr(codeValidation, format, args...)
}
