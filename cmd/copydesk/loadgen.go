package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runLoadgen is the loadgen subcommand: it sends analysis requests to a
// running server at a fixed rate (open loop) or as fast as its connections
// allow (closed loop) and prints the statuses and latency percentiles.
// Latency is measured from the moment a request was due, not from when it
// could be sent, so a server that falls behind is not flattered
// (coordinated omission); the service time from the actual send is printed
// too. It returns an error when any request failed or got an unexpected
// status.
func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgenConfig
	var deep string
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the server")
	fs.Float64Var(&cfg.Rate, "rate", 100, "requests per second, sent on schedule whatever the answers do (0: closed loop, each connection sends its next request when the last one is answered)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "connections, i.e. requests in flight at most")
	fs.IntVar(&cfg.Words, "words", 1000, "words of the generated HTML page")
	fs.StringVar(&deep, "deep", "", "comma-separated model-backed analyses to ask for (e.g. grammar): the 202 path; needs a provider or --simulate on the server")
	fs.BoolVar(&cfg.Distinct, "distinct", false, "make every request's content different (no cache can answer it); default: identical requests")
	fs.BoolVar(&cfg.JSON, "json", false, "print the result as JSON")
	fs.StringVar(&cfg.APIKey, "api-key", getenv("COPYDESK_API_KEY"), "API key sent as Authorization: Bearer (env COPYDESK_API_KEY; never printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &UsageError{Message: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), Hint: "run copydesk loadgen -h for the flags"}
	}
	if deep != "" {
		cfg.Deep = strings.Split(deep, ",")
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	res, err := loadgen(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.write(stdout, cfg)
	}
	if bad := res.Requests - res.Statuses[res.want]; bad > 0 {
		return fmt.Errorf("%d of %d requests failed or did not answer %d", bad, res.Requests, res.want)
	}
	return nil
}

// loadgenConfig is what loadgen sends, how fast and for how long.
type loadgenConfig struct {
	URL         string
	Rate        float64 // requests per second; 0: closed loop
	Duration    time.Duration
	Concurrency int
	Words       int
	Deep        []string
	Distinct    bool
	JSON        bool
	APIKey      string
}

func (c *loadgenConfig) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &UsageError{Message: fmt.Sprintf("--url %q is not an http:// or https:// URL", c.URL), Hint: "e.g. --url http://127.0.0.1:8080"}
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	if c.Rate < 0 || c.Rate > 1e6 {
		return &UsageError{Message: fmt.Sprintf("--rate %v is outside 0 … 1000000 requests per second", c.Rate), Hint: "0 sends as fast as the connections allow"}
	}
	if c.Duration <= 0 || c.Duration > time.Hour {
		return &UsageError{Message: fmt.Sprintf("--duration %v is outside (0, 1h]", c.Duration), Hint: "e.g. --duration 30s"}
	}
	if c.Concurrency < 1 || c.Concurrency > 10000 {
		return &UsageError{Message: fmt.Sprintf("--concurrency %d is outside 1 … 10000", c.Concurrency)}
	}
	if c.Words < 10 || c.Words > 100000 {
		return &UsageError{Message: fmt.Sprintf("--words %d is outside 10 … 100000", c.Words)}
	}
	for _, d := range c.Deep {
		if strings.TrimSpace(d) == "" {
			return &UsageError{Message: "--deep has an empty entry", Hint: "e.g. --deep grammar,tone"}
		}
	}
	return nil
}

// loadResult is what a load run measured. Latencies are in milliseconds.
type loadResult struct {
	Requests     int         `json:"requests"`
	Statuses     map[int]int `json:"statuses"`
	Errors       int         `json:"errors"`
	FirstError   string      `json:"first_error,omitempty"`
	ElapsedMS    float64     `json:"elapsed_ms"`
	AchievedRate float64     `json:"achieved_rate"`
	Latency      percentiles `json:"latency_ms"`      // from when the request was due
	ServiceTime  percentiles `json:"service_time_ms"` // from when it was sent
	want         int
}

// percentiles summarizes latencies in milliseconds.
type percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

func summarize(d []time.Duration) percentiles {
	if len(d) == 0 {
		return percentiles{}
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(float64(len(d))*p/100+0.999999) - 1
		return float64(d[max(0, min(i, len(d)-1))]) / 1e6
	}
	return percentiles{P50: at(50), P90: at(90), P99: at(99), P999: at(99.9), Max: float64(d[len(d)-1]) / 1e6}
}

func (r *loadResult) write(w io.Writer, cfg loadgenConfig) {
	mode := fmt.Sprintf("rate %g/s", cfg.Rate)
	if cfg.Rate == 0 {
		mode = "closed loop"
	}
	fmt.Fprintf(w, "POST %s/v1/analyses, %d-word page, deep %v, distinct %v, %s for %v, up to %d in flight\n",
		cfg.URL, cfg.Words, cfg.Deep, cfg.Distinct, mode, cfg.Duration, cfg.Concurrency)
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d: %d", c, r.Statuses[c]))
	}
	fmt.Fprintf(w, "requests %d (%s), errors %d, achieved %.1f req/s\n", r.Requests, strings.Join(parts, ", "), r.Errors, r.AchievedRate)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	line := func(name string, p percentiles) {
		fmt.Fprintf(w, "%-14s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n", name, p.P50, p.P90, p.P99, p.P999, p.Max)
	}
	line("latency", r.Latency)
	line("service time", r.ServiceTime)
}

// loadgen runs the load described by cfg (validated) until its duration
// ends or ctx is cancelled, and waits for the answers of what it sent.
func loadgen(ctx context.Context, cfg loadgenConfig) (*loadResult, error) {
	page := samplePage(cfg.Words)
	req := map[string]any{"content": page, "format": "html", "language": "en", "keyphrase": "cold brew coffee"}
	want := http.StatusOK
	if len(cfg.Deep) > 0 {
		req["deep"] = cfg.Deep
		want = http.StatusAccepted
	}
	const mark = "@@N@@"
	if cfg.Distinct {
		req["content"] = page + "<p>Order number " + mark + " ships tomorrow.</p>"
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	prefix, suffix, _ := bytes.Cut(body, []byte(mark))
	bodyOf := func(i int) []byte {
		if !cfg.Distinct {
			return body
		}
		b := make([]byte, 0, len(prefix)+len(suffix)+12)
		b = append(b, prefix...)
		b = strconv.AppendInt(b, int64(i), 10)
		return append(b, suffix...)
	}
	tr := &http.Transport{
		MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	target := cfg.URL + "/v1/analyses"

	type outcome struct {
		status           int
		err              error
		latency, service time.Duration
	}
	var mu sync.Mutex
	res := &loadResult{Statuses: map[int]int{}, want: want}
	var lat, svc []time.Duration
	record := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		if o.err != nil {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = o.err.Error()
			}
			return
		}
		res.Statuses[o.status]++
		lat = append(lat, o.latency)
		svc = append(svc, o.service)
	}
	send := func(i int, due time.Time) outcome {
		start := time.Now()
		r, err := http.NewRequestWithContext(context.WithoutCancel(ctx), "POST", target, bytes.NewReader(bodyOf(i)))
		if err != nil {
			return outcome{err: err}
		}
		r.Header.Set("Content-Type", "application/json")
		if cfg.APIKey != "" {
			r.Header.Set("Authorization", "Bearer "+cfg.APIKey)
		}
		resp, err := client.Do(r)
		if err != nil {
			return outcome{err: err}
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		end := time.Now()
		if err != nil {
			return outcome{err: err}
		}
		return outcome{status: resp.StatusCode, latency: end.Sub(due), service: end.Sub(start)}
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	begin := time.Now()
	var wg sync.WaitGroup
	if cfg.Rate == 0 {
		var next int
		var nextMu sync.Mutex
		for range cfg.Concurrency {
			wg.Go(func() {
				for runCtx.Err() == nil {
					nextMu.Lock()
					i := next
					next++
					nextMu.Unlock()
					record(send(i, time.Now()))
				}
			})
		}
	} else {
		// Requests are due at begin + i/rate; workers take them in order.
		// The schedule never waits for workers, so a request that waits for
		// a free connection counts that wait in its latency.
		type due struct {
			i  int
			at time.Time
		}
		n := int(cfg.Duration.Seconds()*cfg.Rate + 0.5)
		queue := make(chan due, n)
		for range cfg.Concurrency {
			wg.Go(func() {
				for d := range queue {
					record(send(d.i, d.at))
				}
			})
		}
		interval := float64(time.Second) / cfg.Rate
	schedule:
		for i := range n {
			at := begin.Add(time.Duration(float64(i) * interval))
			if wait := time.Until(at); wait > 0 {
				select {
				case <-ctx.Done():
					break schedule
				case <-time.After(wait):
				}
			}
			queue <- due{i, at}
		}
		close(queue)
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if ctx.Err() != nil && res.Requests == 0 {
		return nil, errors.New("loadgen: interrupted before any request was answered")
	}
	res.ElapsedMS = float64(elapsed.Microseconds()) / 1000
	res.AchievedRate = float64(res.Requests) / elapsed.Seconds()
	res.Latency, res.ServiceTime = summarize(lat), summarize(svc)
	return res, nil
}

// sampleSections are the headings of the generated page.
var sampleSections = []string{
	"Why cold brew coffee tastes different",
	"Choosing the beans",
	"The right grind",
	"Water and ratio",
	"Steeping time and temperature",
	"Filtering without a mess",
	"Storing your concentrate",
	"Serving ideas for warm days",
	"Common mistakes and how to avoid them",
	"Cleaning your equipment",
	"Frequently asked questions",
	"Our favourite recipe",
}

// sampleSentences are the sentences the generated page is made of: ordinary
// web copy with some long sentences, a few passives and transition words, so
// every rule of the analysis engine has work to do.
var sampleSentences = []string{
	"Cold brew coffee is steeped in cold water for twelve to twenty-four hours instead of being brewed with hot water.",
	"The slow extraction gives a smooth cup with less bitterness and a naturally sweet finish.",
	"You do not need expensive equipment to make it at home.",
	"A large jar, a sieve and a clean cloth are enough for your first batch.",
	"Most people start with a medium roast, because it balances chocolate and fruit notes.",
	"Dark roasts can taste flat when they are steeped for a long time.",
	"However, a single-origin bean from Ethiopia or Kenya gives a bright and fruity glass.",
	"The beans should be ground coarsely, roughly like raw sugar.",
	"A fine grind makes the concentrate muddy and is hard to filter.",
	"We weigh the coffee and the water, since a scale is far more precise than a measuring cup.",
	"A ratio of one part coffee to eight parts water makes a strong concentrate that you dilute later.",
	"If you prefer to drink it straight, use one part coffee to fifteen parts water.",
	"Filtered water is recommended by most baristas, because chlorine changes the taste.",
	"Stir the grounds gently so that every particle is wet, then cover the jar.",
	"Leave it in the fridge or on the counter, depending on how warm your kitchen is.",
	"After sixteen hours the flavour is usually at its best.",
	"Longer steeping extracts more caffeine but also more woody and bitter compounds.",
	"The grounds are removed by pouring the coffee slowly through a cloth or a paper filter.",
	"Be patient here, because pressing the grounds pushes fine sediment into your cup.",
	"The finished concentrate keeps for about two weeks in a closed bottle in the fridge.",
	"Serve it over ice with milk, or mix it with tonic water and a slice of orange for a summer drink.",
	"In addition, the concentrate works well in desserts such as tiramisu or affogato.",
	"A common mistake is using stale beans that were ground weeks ago.",
	"Another mistake is steeping for two days, which makes the coffee taste like cardboard.",
	"Clean the jar and the filter right away, as coffee oils turn rancid quickly.",
	"Our customers often ask whether cold brew contains more caffeine than hot coffee.",
	"The answer depends on the ratio, but a glass of diluted concentrate is comparable to a cup of filter coffee.",
	"For example, our house blend of Brazilian and Colombian beans was developed with this method in mind.",
	"Therefore we roast it a little lighter than our espresso blend.",
	"Try it this weekend and tell us how your first batch turned out.",
}

var tagPattern = regexp.MustCompile(`<[^>]*>`)

// samplePage returns a realistic HTML article of at least words words: an H1
// with the keyphrase, sections with H2 headings, paragraphs of three to five
// sentences, links, images with alt text and a list.
func samplePage(words int) string {
	var b strings.Builder
	b.WriteString("<article>\n<h1>Cold brew coffee at home: a practical guide</h1>\n")
	b.WriteString(`<p class="intro">Cold brew coffee is easy to make, cheaper than the café version and keeps for days. This guide shows you how we brew it in our roastery.</p>` + "\n")
	n := 0
	count := func(s string) { n += len(strings.Fields(tagPattern.ReplaceAllString(s, " "))) }
	count(b.String())
	for p, s := 0, 0; n < words; p++ {
		if p%3 == 0 {
			h := sampleSections[(p/3)%len(sampleSections)]
			line := "<h2>" + h + "</h2>\n"
			if p/3%2 == 1 {
				line += fmt.Sprintf(`<img src="/img/cold-brew-%d.jpg" alt="A glass of cold brew coffee, step %d">`+"\n", p/3, p/3)
			}
			b.WriteString(line)
			count(line)
		}
		var para strings.Builder
		para.WriteString("<p>")
		for k := range 3 + p%3 {
			if k > 0 {
				para.WriteByte(' ')
			}
			sentence := sampleSentences[s%len(sampleSentences)]
			s++
			if (p+k)%7 == 3 {
				// Link a few words of the sentence.
				if i := strings.Index(sentence, " "); i > 0 {
					sentence = `<a href="https://example.com/guide/` + strconv.Itoa(p) + `">` + sentence[:i] + "</a>" + sentence[i:]
				}
			}
			para.WriteString(sentence)
		}
		para.WriteString("</p>\n")
		if p%8 == 5 {
			para.WriteString("<ul><li>Coarse ground coffee, 100 grams</li><li>Cold filtered water, 800 millilitres</li><li>A jar, a sieve and a cloth</li></ul>\n")
		}
		b.WriteString(para.String())
		count(para.String())
	}
	b.WriteString("</article>\n")
	return b.String()
}

// pageWords counts the words of an HTML page outside its tags.
func pageWords(html string) int {
	return len(strings.Fields(tagPattern.ReplaceAllString(html, " ")))
}
