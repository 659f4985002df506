package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// fieldErrors are the problems of a submitted form, keyed by the field
// path of the object the form edits, as plan.FieldError.Field names them.
type fieldErrors struct {
	// All lists every problem in order, for the summary at the top of the
	// form; Message is the service's summary of them.
	All     []problem
	Message string
}

// problem is one problem of a form.
type problem struct {
	Field   string
	Message string
}

// At returns the messages of the problems of exactly field.
func (fe *fieldErrors) At(field string) []string {
	if fe == nil {
		return nil
	}
	var out []string
	for _, p := range fe.All {
		if p.Field == field {
			out = append(out, p.Message)
		}
	}
	return out
}

// Under returns the messages of the problems of field and of the fields
// inside it: "waves[0].dependsOn" gathers waves[0].dependsOn[2] too.
func (fe *fieldErrors) Under(field string) []string {
	if fe == nil {
		return nil
	}
	var out []string
	for _, p := range fe.All {
		if p.Field == field || strings.HasPrefix(p.Field, field+"[") || strings.HasPrefix(p.Field, field+".") {
			out = append(out, p.Message)
		}
	}
	return out
}

// Any reports whether there are problems.
func (fe *fieldErrors) Any() bool { return fe != nil && (len(fe.All) > 0 || fe.Message != "") }

// formErrors turns a service error into the problems to show on a form,
// with the status to answer with. ok is false for an error that is not
// about the request, which the caller returns instead.
func formErrors(err error) (fe *fieldErrors, status int, ok bool) {
	var xe *execution.Error
	if errors.As(err, &xe) {
		fe = &fieldErrors{Message: xe.Message}
		for _, p := range xe.Problems {
			fe.All = append(fe.All, problem{Field: p.Field, Message: p.Message})
		}
		status := http.StatusBadRequest
		switch xe.Kind {
		case execution.KindConflict:
			status = http.StatusConflict
		case execution.KindNotFound:
			status = http.StatusNotFound
		}
		return fe, status, true
	}
	ae, unexpected := api.HTTPError(err)
	if unexpected {
		return nil, 0, false
	}
	fe = &fieldErrors{Message: ae.Message}
	for _, d := range ae.Details {
		fe.All = append(fe.All, problem{Field: d.Field, Message: d.Message})
	}
	if len(fe.All) == 0 {
		fe.All = []problem{{Field: ae.Field, Message: ae.Message}}
	}
	return fe, ae.Status, true
}

// flash is a message for the page a redirect leads to.
type flash struct {
	Notice   string   `json:"n"`
	Warnings []string `json:"w,omitempty"`
}

const flashCookie = "drsorch_flash"

// maxFlashWarnings bounds the warnings carried in the flash cookie.
const maxFlashWarnings = 8

// setFlash stores a message for the next page in a short-lived cookie, so
// that it survives the redirect whichever replica answers next.
func setFlash(w http.ResponseWriter, f flash) {
	if n := len(f.Warnings); n > maxFlashWarnings {
		f.Warnings = append(f.Warnings[:maxFlashWarnings-1], fmt.Sprintf("and %d more warnings", n-maxFlashWarnings+1))
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b),
		Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the flash message of the request, if any, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	return &f
}

// tagRows are the key and value inputs of a tag selector, as the form
// names them: tagKey0, tagValue0, tagKey1, …
type tagRow struct{ Key, Value string }

// readTags reads the tag rows of a form with the given prefix; rows
// without a key and value are left out.
func readTags(r *http.Request, prefix string) []tagRow {
	var rows []tagRow
	for i := 0; i < maxRows; i++ {
		k := r.PostForm.Get(fmt.Sprintf("%sKey%d", prefix, i))
		v := r.PostForm.Get(fmt.Sprintf("%sValue%d", prefix, i))
		if _, ok := r.PostForm[fmt.Sprintf("%sKey%d", prefix, i)]; !ok {
			break
		}
		if k == "" && v == "" {
			continue
		}
		rows = append(rows, tagRow{Key: k, Value: v})
	}
	return rows
}

// maxRows bounds repeated rows of one form.
const maxRows = 200

// tagMap returns rows as a map, or nil without rows.
func tagMap(rows []tagRow) map[string]string {
	if len(rows) == 0 {
		return nil
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Value
	}
	return m
}

// tagRowsOf returns a map's tags as rows sorted by key.
func tagRowsOf(m map[string]string) []tagRow {
	rows := make([]tagRow, 0, len(m))
	for k, v := range m {
		rows = append(rows, tagRow{Key: k, Value: v})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows
}

// formInt parses an optional whole number of a form; ok is false when
// the value is present but not a number.
func formInt(s string) (n int, set, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, true
	}
	n, err := strconv.Atoi(s)
	return n, true, err == nil
}

// notNumber is the problem of a form field that should hold a number.
func notNumber(field, value string) problem {
	return problem{Field: field, Message: fmt.Sprintf("%q is not a whole number", value)}
}

// invalidForm returns problems found while reading a form, before any
// service saw it, in the shape formErrors gives.
func invalidForm(ps []problem) *fieldErrors {
	return &fieldErrors{All: ps, Message: ps[0].Message}
}

// planErrors returns validation problems as fieldErrors, for checks that
// return plan.Errors directly.
func planErrors(err error) *fieldErrors {
	var pe plan.Errors
	if !errors.As(err, &pe) || len(pe) == 0 {
		return nil
	}
	fe := &fieldErrors{Message: pe[0].Message}
	for _, e := range pe {
		fe.All = append(fe.All, problem{Field: e.Field, Message: e.Message})
	}
	return fe
}
