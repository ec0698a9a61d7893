package alert

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Webhook formats.
const (
	FormatSlack = "slack" // {"text": …, "blocks": […]}: Slack incoming webhooks and compatibles (Mattermost, Rocket.Chat)
	FormatJSON  = "json"  // {"type": "alert"|"digest", "alert"|"digest": {…}}
)

// Webhook defaults.
const (
	WebhookTimeoutDefault = 5 * time.Second
	WebhookRetriesDefault = 3
	WebhookBackoffDefault = time.Second
)

// Webhook posts notifications to a URL. The URL is a secret (Slack's holds
// its token): it never appears in errors or logs, Name does.
type Webhook struct {
	// Name identifies the webhook in logs. Default "webhook".
	Name string
	// URL receives a POST per notification.
	URL string
	// Format is FormatSlack or FormatJSON. Default FormatJSON.
	Format string
	// Client sends the requests. Default: a client without redirects.
	Client *http.Client
	// Timeout bounds each attempt. Default 5 s.
	Timeout time.Duration
	// Retries is how many times a failed attempt (network error, 429 or
	// 5xx) is repeated. Default 3; -1 for none.
	Retries int
	// Backoff is the wait before the first retry, doubling after each.
	// Default 1 s.
	Backoff time.Duration
}

// Validate checks the webhook's fields. Returns EINVALID naming the field.
func (w *Webhook) Validate() error {
	name := cmp.Or(w.Name, "webhook")
	if !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
		return copydesk.Errorf(copydesk.EINVALID, "alert webhook %s: URL must start with http:// or https://", name)
	}
	switch w.Format {
	case "", FormatSlack, FormatJSON:
	default:
		return copydesk.Errorf(copydesk.EINVALID, "alert webhook %s: format %q is not one of slack, json", name, w.Format)
	}
	if w.Timeout < 0 || w.Backoff < 0 || w.Retries < -1 {
		return copydesk.Errorf(copydesk.EINVALID, "alert webhook %s: Timeout, Backoff and Retries cannot be negative", name)
	}
	return nil
}

var noRedirectClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Notify implements Notifier: it posts n, retrying with doubling backoff
// on network errors, 429 and 5xx, until ctx ends.
func (w *Webhook) Notify(ctx context.Context, n Notification) error {
	name := cmp.Or(w.Name, "webhook")
	var body []byte
	var err error
	if w.Format == FormatSlack {
		body, err = json.Marshal(SlackPayload(n))
	} else {
		body, err = json.Marshal(JSONPayload(n))
	}
	if err != nil {
		return fmt.Errorf("alert webhook %s: encode: %w", name, err)
	}
	retries := cmp.Or(w.Retries, WebhookRetriesDefault)
	backoff := cmp.Or(w.Backoff, WebhookBackoffDefault)
	for attempt := 0; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= retries {
			return fmt.Errorf("alert webhook %s: %w (attempt %d)", name, err, attempt+1)
		}
		t := time.NewTimer(backoff << attempt)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("alert webhook %s: gave up after attempt %d: %w", name, attempt+1, ctx.Err())
		case <-t.C:
		}
	}
}

// post makes one attempt. retry says whether another may succeed.
func (w *Webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(w.Timeout, WebhookTimeoutDefault))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("bad URL") // the error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "copydesk-alert")
	client := w.Client
	if client == nil {
		client = noRedirectClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return true, fmt.Errorf("timed out")
		}
		return true, fmt.Errorf("request failed") // *url.Error quotes the URL
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("status %d", resp.StatusCode)
	}
	return false, fmt.Errorf("status %d (not retried)", resp.StatusCode)
}

// JSONPayload is the generic webhook body: {"type":"alert","alert":{…}} or
// {"type":"digest","digest":{…}}.
func JSONPayload(n Notification) map[string]any {
	if n.Digest != nil {
		return map[string]any{"type": "digest", "digest": n.Digest}
	}
	return map[string]any{"type": "alert", "alert": n.Alert}
}

// SlackPayload is the Slack-compatible webhook body: a plain "text"
// fallback and Block Kit "blocks".
func SlackPayload(n Notification) map[string]any {
	var title, text string
	if n.Digest != nil {
		title, text = "Copydesk daily digest", DigestText(n.Digest)
	} else {
		a := n.Alert
		icon := ":warning:"
		switch {
		case a.State == StateResolved:
			icon = ":white_check_mark:"
		case a.Severity == SeverityCritical:
			icon = ":rotating_light:"
		}
		title = fmt.Sprintf("%s Copydesk %s %s: %s", icon, a.Severity, a.State, a.Rule)
		text = a.Summary
	}
	return map[string]any{
		"text": title + "\n" + text,
		"blocks": []any{
			map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": trim(title, 150)}},
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": trim(text, 3000)}},
		},
	}
}

// trim cuts s to at most n bytes on a rune boundary, marking the cut.
func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// FormatMicros writes an amount as a decimal with six places ("1.250000 EUR").
func FormatMicros(m copydesk.Micros, currency string) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return strings.TrimSpace(fmt.Sprintf("%s%d.%06d %s", sign, m/1_000_000, m%1_000_000, currency))
}

// DigestText renders a digest as short Markdown-ish text.
func DigestText(d *Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s to %s: %d model calls, %d customers\n", d.From.Format(time.RFC3339), d.To.Format(time.RFC3339), d.Calls, d.Customers)
	for _, a := range d.Cost {
		fmt.Fprintf(&b, "Cost: %s\n", FormatMicros(a.Micros, a.Currency))
	}
	fmt.Fprintf(&b, "Tokens: %d in (%d cached), %d out\n", d.InputTokens, d.CachedTokens, d.OutputTokens)
	if d.Cache.Known {
		fmt.Fprintf(&b, "Cache: %.1f%% hit rate (%d saved, %d computed)\n", d.Cache.HitRate*100, d.Cache.Saved, d.Cache.Computed)
	}
	if len(d.TopCustomers) > 0 {
		b.WriteString("Top customers:\n")
		for i, c := range d.TopCustomers {
			fmt.Fprintf(&b, "%d. %s: %s (%d calls)\n", i+1, cmp.Or(c.CustomerID, "(none)"), FormatMicros(c.Cost, c.Currency), c.Calls)
		}
	}
	if len(d.Models) > 0 {
		b.WriteString("Models:\n")
		for _, m := range d.Models {
			fmt.Fprintf(&b, "- %s/%s: %d calls (%.0f%%), %s\n", m.Provider, m.Model, m.Calls, m.Share*100, FormatMicros(m.Cost, m.Currency))
		}
	}
	if len(d.Features) > 0 {
		b.WriteString("Features:\n")
		for _, f := range d.Features {
			fmt.Fprintf(&b, "- %s: %d calls, %s\n", cmp.Or(f.Kind, "(none)"), f.Calls, FormatMicros(f.Cost, f.Currency))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// LogNotifier writes notifications to a structured log: critical alerts
// at error level, warnings at warn, resolutions and digests at info.
type LogNotifier struct {
	Logger *slog.Logger
}

// Notify implements Notifier.
func (l LogNotifier) Notify(ctx context.Context, n Notification) error {
	if n.Digest != nil {
		d := n.Digest
		l.Logger.InfoContext(ctx, "daily digest", "from", d.From, "to", d.To, "calls", d.Calls, "customers", d.Customers, "cost", d.Cost, "cache_hit_rate", d.Cache.HitRate)
		return nil
	}
	a := n.Alert
	level := slog.LevelInfo
	if a.State == StateFiring {
		level = slog.LevelWarn
		if a.Severity == SeverityCritical {
			level = slog.LevelError
		}
	}
	l.Logger.Log(ctx, level, "alert "+string(a.State), "rule", a.Rule, "subject", a.Subject, "severity", a.Severity.String(), "value", a.Value, "threshold", a.Threshold, "summary", a.Summary)
	return nil
}
