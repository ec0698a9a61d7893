package metrics_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/metrics"
)

// Example_wiring shows how cmd/copydesk puts metrics and alerts together.
func Example_wiring() {
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))

	m, err := metrics.New(metrics.Config{
		Customers: []string{"acme", "bigco"}, // e.g. the top customers by spend
		// CacheStats:  c.Stats,              // *cache.Cache
		// QueueDepth:  store.QueueDepth,     // open jobs by priority and state
		// RouterStats: r.Stats,              // *router.Router
		Process: true,
	})
	if err != nil {
		logger.Error("metrics", "error", err)
		return
	}
	engine, err := alert.New(alert.Config{
		Source: m.AlertSample,
		// Ledger: store,                     // UsageBetween(ctx, from, to)
		DigestHour: 8,
		Notifiers: []alert.Notifier{
			alert.LogNotifier{Logger: logger},
			&alert.Webhook{Name: "slack", URL: os.Getenv("COPYDESK_SLACK_WEBHOOK"), Format: alert.FormatSlack},
		},
		Logger: logger,
		Clock:  copydesk.SystemClock{},
	})
	if err != nil {
		logger.Error("alerts", "error", err)
		return
	}
	_ = engine.Start(ctx)
	defer engine.Stop()

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	// In the request middleware, after the handler ran:
	m.ObserveHTTP("POST /v1/analyses", http.StatusOK, 2*time.Millisecond)
}
