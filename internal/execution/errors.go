package execution

import (
	"fmt"
	"strings"
)

// Kind classifies an Error for the API: invalid (400), conflict (409) or
// not found (404).
type Kind int

// Kinds of Error.
const (
	KindInvalid Kind = iota + 1
	KindConflict
	KindNotFound
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindNotFound:
		return "not_found"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Problem is one reason a request was refused.
type Problem struct {
	Code           string `json:"code"`
	Message        string `json:"message"`
	Field          string `json:"field,omitempty"`
	SourceServerID string `json:"sourceServerId,omitempty"`
}

// Warning is something a started execution should be aware of but that
// does not stop it, such as a server that already has a recovery instance.
type Warning struct {
	Code           string `json:"code"`
	Message        string `json:"message"`
	SourceServerID string `json:"sourceServerId,omitempty"`
}

// Error is a refused request: the kind decides the HTTP status, Problems
// lists every reason found (at least one). Status is the execution's
// current status when a control was refused for it.
type Error struct {
	Kind     Kind
	Message  string
	Status   string
	Problems []Problem
}

func (e *Error) Error() string {
	if len(e.Problems) <= 1 {
		return e.Message
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// conflict returns a refused control on an execution in status.
func conflict(status, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: KindConflict, Message: msg, Status: status,
		Problems: []Problem{{Code: "conflict", Message: msg}}}
}

func notFound(format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: KindNotFound, Message: msg,
		Problems: []Problem{{Code: "not_found", Message: msg}}}
}
