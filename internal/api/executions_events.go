package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// How the event stream watches the store. The engine commits events as it
// acts, so a stream that looks twice a second is live enough for people
// and costs one indexed read per open stream.
var (
	streamPoll      = 500 * time.Millisecond
	streamKeepalive = 15 * time.Second
)

// streamBatch is how many events one read of the stream sends at most.
const streamBatch = 500

func (s *Server) handleExecutionEvents(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.executionService()
	if err != nil {
		return err
	}
	after, err := afterSeq(r)
	if err != nil {
		return err
	}
	if wantsStream(r) {
		return s.streamEvents(w, r, after)
	}
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	events, _, err := svc.Events(r.Context(), id, after, opts.Limit)
	if err != nil {
		return executionError(err)
	}
	next := ""
	if len(events) == opts.Limit {
		next = strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	return writeJSON(w, http.StatusOK, newList(events, next))
}

// wantsStream reports whether the client asked for server-sent events.
func wantsStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

// streamEvents sends the execution's events after seq after as
// server-sent events, then each new one as the store gets it, until the
// client goes or the execution is final and everything was sent. Each
// event's id is its Seq, so a client reconnecting with Last-Event-ID
// resumes where it stopped.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, after int64) error {
	ctx := r.Context()
	id := r.PathValue("id")

	// The first read decides between an error response and a stream.
	events, final, err := s.executions.Events(ctx, id, after, streamBatch)
	if err != nil {
		return executionError(err)
	}
	rc := http.NewResponseController(w)
	// A server write timeout would cut a long stream; this one has none.
	rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}

	poll := time.NewTicker(streamPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		for _, ev := range events {
			if err := writeEvent(w, ev); err != nil {
				return nil // the client has gone
			}
			after = ev.Seq
			lastWrite = time.Now()
		}
		if len(events) > 0 {
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		if final && len(events) < streamBatch {
			return nil
		}
		if len(events) < streamBatch {
			select {
			case <-ctx.Done():
				return nil
			case <-poll.C:
			}
		}
		if time.Since(lastWrite) >= streamKeepalive {
			if _, err := io.WriteString(w, ": keepalive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			lastWrite = time.Now()
		}
		events, final, err = s.executions.Events(ctx, id, after, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "event stream read", "execution_id", id, "error", err)
			}
			// Headers are out; ending the stream makes the client reconnect.
			return nil
		}
	}
}

// writeEvent writes one server-sent event. Event JSON has no newlines, so
// it fits one data line.
func writeEvent(w io.Writer, ev plan.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, b)
	return err
}
