package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Target is somewhere notifications go.
type Target interface {
	// Name identifies the target in delivery records.
	Name() string
	// Wants reports whether the target takes notifications of a type.
	Wants(typ string) bool
	// Send makes one attempt and returns the HTTP status, if any.
	Send(ctx context.Context, n *Notification) (int, error)
}

// Webhook POSTs notifications as JSON, or as Slack-compatible
// {"text": …} when Slack is set.
type Webhook struct {
	// TargetName defaults to the URL's host.
	TargetName string
	URL        string
	Slack      bool
	// Types limits the notifications sent; empty means every type.
	Types []string
	// Client makes the calls (default: http.Client with a 10s timeout).
	Client *http.Client
}

// Name returns TargetName, else "webhook:" and the URL's host.
func (w *Webhook) Name() string {
	if w.TargetName != "" {
		return w.TargetName
	}
	host := w.URL
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host, _, _ = strings.Cut(rest, "/")
	}
	return "webhook:" + host
}

// Wants reports whether typ is in Types, or Types is empty.
func (w *Webhook) Wants(typ string) bool { return len(w.Types) == 0 || slices.Contains(w.Types, typ) }

// Send POSTs n once.
func (w *Webhook) Send(ctx context.Context, n *Notification) (int, error) {
	var body any = n
	if w.Slack {
		body = map[string]string{"text": n.Text}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("encode notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", w.URL, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "drsorch-notify")
	hc := w.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// SNSPublisher is the part of Amazon SNS a topic target needs. The
// aws-sdk-go-v2 SNS client fits behind it in a few lines; drsorch does not
// link that SDK module yet.
type SNSPublisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) error
}

// SNSTopic publishes notifications to an SNS topic: the subject is the
// text (cut to SNS's 100 characters), the message the JSON notification.
type SNSTopic struct {
	TopicARN  string
	Publisher SNSPublisher
	Types     []string
}

// Name returns "sns:" and the topic ARN.
func (t *SNSTopic) Name() string { return "sns:" + t.TopicARN }

// Wants reports whether typ is in Types, or Types is empty.
func (t *SNSTopic) Wants(typ string) bool { return len(t.Types) == 0 || slices.Contains(t.Types, typ) }

// Send publishes n once.
func (t *SNSTopic) Send(ctx context.Context, n *Notification) (int, error) {
	b, err := json.Marshal(n)
	if err != nil {
		return 0, fmt.Errorf("encode notification: %w", err)
	}
	subject := n.Text
	if r := []rune(subject); len(r) > 100 {
		subject = string(r[:99]) + "…"
	}
	if err := t.Publisher.Publish(ctx, t.TopicARN, subject, string(b)); err != nil {
		return 0, fmt.Errorf("publish to %s: %w", t.TopicARN, err)
	}
	return 0, nil
}

// ParseWebhook reads a --notify-webhook value: a URL, optionally followed
// by ",slack" and ",types=a|b".
func ParseWebhook(v string) (*Webhook, error) {
	parts := strings.Split(v, ",")
	w := &Webhook{URL: parts[0]}
	if !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") {
		return nil, fmt.Errorf("webhook %q: want an http:// or https:// URL", v)
	}
	for _, p := range parts[1:] {
		switch k, val, _ := strings.Cut(p, "="); k {
		case "slack":
			w.Slack = true
		case "types":
			for _, t := range strings.Split(val, "|") {
				if !slices.Contains(Types, t) {
					return nil, fmt.Errorf("webhook %q: unknown type %q (want one of %s)", v, t,
						strings.Join(Types, ", "))
				}
				w.Types = append(w.Types, t)
			}
		case "name":
			w.TargetName = val
		default:
			return nil, fmt.Errorf("webhook %q: unknown option %q (want slack, types= or name=)", v, p)
		}
	}
	return w, nil
}
