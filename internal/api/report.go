package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/report"
)

// Report formats of GET …/report.
const (
	formatJSON = "json"
	formatCSV  = "csv"
	formatHTML = "html"
)

func (s *Server) routesReports(mux *http.ServeMux) {
	s.handle(mux, "GET", executionsPath+"/{id}/report", auth.View, s.handleReport)
	s.handle(mux, "GET", plansPath+"/{id}/trends", auth.View, s.handleTrends)
	s.handle(mux, "GET", plansPath+"/{id}/trends.svg", auth.View, s.handleTrendsSVG)
	s.handle(mux, "GET", plansPath+"/{id}/prediction", auth.View, s.handlePrediction)
	s.handle(mux, "GET", "/api/v1/notifications/deliveries", auth.View, s.handleDeliveries)
}

func (s *Server) reportService() (*report.Service, error) {
	if s.reports == nil {
		return nil, errors.New("api: no report service configured")
	}
	return s.reports, nil
}

// reportFormat reads ?format=, else the Accept header; JSON by default.
func reportFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case formatJSON, formatCSV, formatHTML:
		return f, nil
	case "":
	default:
		return "", invalid("format", "format %q is not json, csv or html", f)
	}
	accept := r.Header.Get("Accept")
	switch {
	case strings.Contains(accept, "text/csv"):
		return formatCSV, nil
	case strings.Contains(accept, "text/html"):
		return formatHTML, nil
	}
	return formatJSON, nil
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reportService()
	if err != nil {
		return err
	}
	format, err := reportFormat(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	rep, err := svc.Execution(r.Context(), id)
	if err != nil {
		return about(err, fmt.Sprintf("execution %q", id))
	}
	var buf bytes.Buffer
	switch format {
	case formatCSV:
		if err := report.WriteCSV(&buf, rep); err != nil {
			return fmt.Errorf("write csv report: %w", err)
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+id+`.csv"`)
	case formatHTML:
		if err := report.WriteHTML(&buf, rep); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		return writeJSON(w, http.StatusOK, rep)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// trendQuery reads ?limit= (drills shown, 1..1000) and ?margin= (percent).
func trendQuery(r *http.Request) (int, report.TrendOptions, error) {
	q := r.URL.Query()
	var opts report.TrendOptions
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, opts, invalid("limit", "limit must be a whole number from 1 to %d", maxLimit)
		}
		limit = n
	}
	if v := q.Get("margin"); v != "" {
		m, err := strconv.ParseFloat(v, 64)
		if err != nil || m <= 0 || m > 1000 {
			return 0, opts, invalid("margin", "margin must be a percentage above 0, such as 20")
		}
		opts.Margin = m / 100
	}
	return limit, opts, nil
}

func (s *Server) trend(r *http.Request) (*report.Trend, error) {
	svc, err := s.reportService()
	if err != nil {
		return nil, err
	}
	limit, opts, err := trendQuery(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	t, err := svc.Trend(r.Context(), id, limit, opts)
	if err != nil {
		return nil, about(err, fmt.Sprintf("recovery plan %q", id))
	}
	return t, nil
}

func (s *Server) handleTrends(w http.ResponseWriter, r *http.Request) error {
	t, err := s.trend(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleTrendsSVG(w http.ResponseWriter, r *http.Request) error {
	t, err := s.trend(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.WriteHeader(http.StatusOK)
	w.Write(report.TrendSVG(t))
	return nil
}

func (s *Server) handlePrediction(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reportService()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	p, err := svc.Predict(r.Context(), id)
	if err != nil {
		return about(err, fmt.Sprintf("recovery plan %q", id))
	}
	return writeJSON(w, http.StatusOK, p)
}
