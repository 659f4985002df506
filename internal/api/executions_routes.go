package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

const executionsPath = "/api/v1/executions"

func (s *Server) routesExecutions(mux *http.ServeMux) {
	s.handle(mux, "POST", plansPath+"/{id}/executions", startAccess, s.handleStartExecution)
	s.handle(mux, "GET", executionsPath, auth.View, s.handleListExecutions)
	s.handle(mux, "GET", executionsPath+"/{id}", auth.View, s.handleGetExecution)
	s.handle(mux, "GET", executionsPath+"/{id}/events", auth.View, s.handleExecutionEvents)
	for _, c := range []struct {
		name string
		do   func(*execution.Service) control
	}{
		{"pause", func(x *execution.Service) control { return x.Pause }},
		{"resume", func(x *execution.Service) control { return x.Resume }},
		{"cancel", func(x *execution.Service) control { return x.Cancel }},
		{"retry", func(x *execution.Service) control { return x.Retry }},
		{"cleanup", func(x *execution.Service) control { return x.Cleanup }},
	} {
		s.handle(mux, "POST", executionsPath+"/{id}/"+c.name, auth.Operate(s.store), s.handleControl(c.do))
	}
	s.handle(mux, "POST", executionsPath+"/{id}/waves/{name}/approve", auth.Operate(s.store), s.handleApprove)
}

// control is one of the execution.Service controls.
type control func(ctx context.Context, id, by string) (*execution.View, error)

// startRequest is the body of POST …/executions. PointInTime is a string
// so that a bad time is reported against its field, and so that it may be
// "consistent".
type startRequest struct {
	Mode        string  `json:"mode"`
	PointInTime *string `json:"pointInTime,omitempty"`
}

// executionService returns the execution service, or an error when the server
// was built without one.
func (s *Server) executionService() (*execution.Service, error) {
	if s.executions == nil {
		return nil, errors.New("api: no execution service configured")
	}
	return s.executions, nil
}

func (s *Server) handleStartExecution(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.executionService()
	if err != nil {
		return err
	}
	var req startRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var pit execution.PointInTime
	if req.PointInTime != nil {
		p, err := execution.ParsePointInTime(*req.PointInTime)
		if err != nil || *req.PointInTime == "" {
			return invalid("pointInTime", "pointInTime %q is neither an RFC 3339 time nor %q",
				*req.PointInTime, execution.PointInTimeConsistent)
		}
		pit = p
	}
	res, err := svc.StartAt(r.Context(), r.PathValue("id"), req.Mode, pit, caller(r))
	if err != nil {
		return executionError(err)
	}
	if req.Mode == plan.ModeRecovery {
		// A recovery launches production instances: it is worth a line
		// at Warn wherever logs are collected.
		s.log.WarnContext(r.Context(), "recovery started", "execution_id", res.ExecutionID,
			"plan_id", r.PathValue("id"), "by", caller(r), "request_id", RequestID(r.Context()))
	}
	w.Header().Set("Location", executionsPath+"/"+res.ExecutionID)
	return writeJSON(w, http.StatusAccepted, res)
}

// executionStatuses are the statuses ?status= accepts.
var executionStatuses = []string{plan.ExecPending, plan.ExecRunning, plan.ExecPaused,
	plan.ExecCancelling, plan.ExecCompleted, plan.ExecPartial, plan.ExecFailed, plan.ExecCancelled}

func (s *Server) handleListExecutions(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.executionService()
	if err != nil {
		return err
	}
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := execution.Filter{PlanID: q.Get("planId"), Status: q.Get("status")}
	if f.Status != "" && !slices.Contains(executionStatuses, f.Status) {
		return invalid("status", "status %q is not one of %v", f.Status, executionStatuses)
	}
	page, err := svc.List(r.Context(), f, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(page.Items, page.NextToken))
}

func (s *Server) handleGetExecution(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.executionService()
	if err != nil {
		return err
	}
	// The Revision alone says whether the kept body is still the
	// execution's; it is also the ETag, and moves on with every change to
	// the execution, launches included.
	id := r.PathValue("id")
	if revision, err := s.revision(r.Context(), id); err == nil {
		tag := etag(revision)
		if r.Header.Get("If-None-Match") == tag {
			w.Header().Set("ETag", tag)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		if body, ok := s.views.get(id, revision); ok {
			return writeBody(w, tag, body)
		}
	}
	v, err := svc.Get(r.Context(), id)
	if err != nil {
		return executionError(err)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	body = append(body, '\n')
	s.views.put(id, v.Revision, body)
	return writeBody(w, etag(v.Revision), body)
}

// revision reads an execution's Revision, without decoding its header
// when the store can (store.RevisionReader).
func (s *Server) revision(ctx context.Context, id string) (int64, error) {
	if rr, ok := s.store.(store.RevisionReader); ok {
		return rr.ExecutionRevision(ctx, id)
	}
	h, err := s.store.GetExecution(ctx, id)
	if err != nil {
		return 0, err
	}
	return h.Revision, nil
}

// writeBody writes an encoded JSON body with its ETag.
func writeBody(w http.ResponseWriter, tag string, body []byte) error {
	w.Header().Set("ETag", tag)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// A failed write means the client has gone; there is no one to tell.
	w.Write(body)
	return nil
}

func (s *Server) handleControl(do func(*execution.Service) control) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := s.executionService()
		if err != nil {
			return err
		}
		v, err := do(svc)(r.Context(), r.PathValue("id"), caller(r))
		if err != nil {
			return executionError(err)
		}
		return writeJSON(w, http.StatusAccepted, v)
	}
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.executionService()
	if err != nil {
		return err
	}
	v, err := svc.Approve(r.Context(), r.PathValue("id"), r.PathValue("name"), caller(r))
	if err != nil {
		return executionError(err)
	}
	return writeJSON(w, http.StatusAccepted, v)
}

// executionError turns the execution service's refusals into API errors;
// anything else passes through to the common mapping.
func executionError(err error) error {
	var e *execution.Error
	if !errors.As(err, &e) {
		return err
	}
	he := &Error{Message: e.Message}
	switch e.Kind {
	case execution.KindNotFound:
		he.Status, he.Code = http.StatusNotFound, CodeNotFound
	case execution.KindConflict:
		he.Status, he.Code = http.StatusConflict, CodeConflict
	default:
		he.Status, he.Code = http.StatusBadRequest, CodeInvalid
	}
	for _, p := range e.Problems {
		he.Details = append(he.Details, Detail{Code: p.Code, Message: p.Message, Field: p.Field})
	}
	for _, p := range e.Problems {
		if p.Field != "" {
			he.Field = p.Field
			break
		}
	}
	return he
}

// afterSeq reads the event cursor: ?after=, else ?nextToken=, else the
// Last-Event-ID header of a reconnecting event stream.
func afterSeq(r *http.Request) (int64, error) {
	q := r.URL.Query()
	for _, c := range []struct{ field, v string }{
		{"after", q.Get("after")},
		{"nextToken", q.Get("nextToken")},
		{"Last-Event-ID", r.Header.Get("Last-Event-ID")},
	} {
		if c.v == "" {
			continue
		}
		n, err := strconv.ParseInt(c.v, 10, 64)
		if err != nil || n < 0 {
			return 0, invalid(c.field, "%s %q is not an event sequence number", c.field, c.v)
		}
		return n, nil
	}
	return 0, nil
}
