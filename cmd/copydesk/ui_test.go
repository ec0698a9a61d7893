package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/copydesk/copydesk/internal/providertest"
)

// Browser tests run the real program and drive Debian's Chromium through
// the web UI. Without COPYDESK_TEST_BROWSER they skip when /usr/bin/chromium
// is missing; with it (CI sets it) a browser that cannot start fails them.
// COPYDESK_UI_SCREENSHOTS=dir keeps the screenshots (default: the test's
// temporary directory).

const uiPassword = "a long enough password for the UI"

// consoleLog collects what the tab's console shows: script errors, CSP
// violations, failed loads.
type consoleLog struct {
	mu     sync.Mutex
	msgs   []chromedp.ConsoleMessage
	notify chan struct{} // closed and replaced on every message
}

// MustSee waits until the console has shown text (the messages arrive
// asynchronously), at most until ctx ends.
func (l *consoleLog) MustSee(tb testing.TB, ctx context.Context, text string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		l.mu.Lock()
		ch := l.notify
		for _, m := range l.msgs {
			if m.Text == text {
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			tb.Fatalf("the console never showed %q", text)
		}
	}
}

func (l *consoleLog) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		// GET /v1/budgets answers 404 for a customer without a budget,
		// which the admin page shows as "not limited"; the browser logs
		// every 4xx answer.
		if m.Source == "network" && strings.Contains(m.URL, "/v1/budgets?") && strings.Contains(m.Text, "404") {
			continue
		}
		if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
			out = append(out, string(m.Type)+": "+m.Text)
		}
	}
	return out
}

// MustBrowser starts one headless Chromium for the test and returns a tab
// and its console.
func MustBrowser(tb testing.TB) (context.Context, *consoleLog) {
	tb.Helper()
	exec := os.Getenv("COPYDESK_TEST_BROWSER")
	required := exec != ""
	if !required {
		exec = "/usr/bin/chromium"
		if _, err := os.Stat(exec); err != nil {
			tb.Skip("no browser: /usr/bin/chromium is missing and COPYDESK_TEST_BROWSER is not set (apt-get install -y chromium)")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1400, 1300),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start the browser %s (required: %v): %v", exec, required, err)
	}
	log := &consoleLog{notify: make(chan struct{})}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			log.mu.Lock()
			log.msgs = append(log.msgs, m)
			close(log.notify)
			log.notify = make(chan struct{})
			log.mu.Unlock()
		}
	}()
	return ctx, log
}

// MustRunUI runs actions in the tab with a safety deadline (not a timed
// assertion: a broken page would otherwise hang the test).
func MustRunUI(tb testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		text, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById("main").innerText`))
		tb.Fatalf("%s: %v\npage text: %.1500s", what, err, text)
	}
}

// into runs a and stores its value in dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// settledFrame is a JavaScript expression that waits (at most about a
// second) until the frame selected by sel has its content's height, the
// same in two animation frames running: a click aimed at what follows it
// then lands where it is meant to.
func settledFrame(sel string) string {
	return `(async () => {
		const f = document.querySelector('` + sel + `');
		let last = -1;
		for (let i = 0; i < 60; i++) {
			await new Promise((r) => requestAnimationFrame(r));
			const d = f && f.contentDocument, h = d && d.documentElement ? Math.max(40, d.documentElement.scrollHeight) : -1;
			const now = f ? f.getBoundingClientRect().height : -2;
			if (Math.abs(now - h) <= 1 && now === last) return true;
			last = now;
		}
		return false; })()`
}

// evalInto evaluates a JavaScript expression (awaiting a promise) into dst.
func evalInto[T any](dst *T, expr string) chromedp.Action[chromedp.Void] {
	return into(dst, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// screenshot saves the viewport as <name>.png.
func screenshot(tb testing.TB, ctx context.Context, dir, name string) {
	tb.Helper()
	var png []byte
	MustRunUI(tb, ctx, "screenshot "+name, evalInto(new(bool), `window.scrollTo(0, 0), true`), into(&png, chromedp.CaptureScreenshot()))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// axeSource is axe-core (testdata/axe-core, MPL-2.0, vendored unmodified:
// the tests never need Node.js or the network). DevTools evaluation is not
// bound by the page's Content-Security-Policy, so it loads into any page.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe-core/axe.min.js")
	return string(b), err
})

// mustBeAccessible runs axe-core on the page and fails on every serious or
// critical violation (WCAG 2 A and AA rules).
func mustBeAccessible(tb testing.TB, ctx context.Context, where string) {
	tb.Helper()
	src, err := axeSource()
	if err != nil {
		tb.Fatalf("axe-core: %v", err)
	}
	var loaded bool
	MustRunUI(tb, ctx, "load axe-core", evalInto(&loaded, `window.axe ? true : (() => { `+src+`; return !!window.axe; })()`))
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	MustRunUI(tb, ctx, "axe "+where, evalInto(&violations, `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] })
		.then((r) => r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
			.map((v) => ({ ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) })))`))
	for _, v := range violations {
		tb.Errorf("%s: accessibility (%s) %s: %s, e.g. %q", where, v.Impact, v.ID, v.Help, v.Nodes)
	}
}

// The hostile strings would mark the page if they ever ran as script.
const (
	hostileImg    = `<img src=x onerror="window.__pwned='img';document.title='pwned'">`
	hostileScript = `<script>window.__pwned='script';document.title='pwned'</script>`
)

// mustNotBePwned fails if hostile text ran or became markup in the app.
func mustNotBePwned(tb testing.TB, ctx context.Context, where string) {
	tb.Helper()
	var res struct {
		Pwned  string `json:"pwned"`
		Title  string `json:"title"`
		Markup int    `json:"markup"`
	}
	MustRunUI(tb, ctx, "check "+where, evalInto(&res, `({
		pwned: String(window.__pwned ?? ""),
		title: document.title,
		markup: document.querySelectorAll("#main img, #main script, #main [onerror], #main [onload], #main svg:not(.chart)").length
	})`))
	if res.Pwned != "" || strings.Contains(res.Title, "pwned") {
		tb.Errorf("%s: hostile script ran: __pwned %q, title %q", where, res.Pwned, res.Title)
	}
	if res.Markup != 0 {
		tb.Errorf("%s: got %d hostile elements in the app DOM, want 0", where, res.Markup)
	}
}

// TestWebUI logs in through the page as the first ADMIN (password set with
// `copydesk admin set-password`) and uses every page against the real
// program and a fake provider: local analysis cards at once and a model
// finding over SSE, three generated blocks, two translated languages, the
// glossary, the dashboard's charts; hostile content and model answers
// never run or become markup.
func TestWebUI(t *testing.T) {
	t.Parallel()
	browser, console := MustBrowser(t)
	shots := cmp.Or(os.Getenv("COPYDESK_UI_SCREENSHOTS"), t.TempDir())

	// The deep-analysis answer waits until the test has seen the local
	// cards, so "local first" is checked without timing.
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open)
	// A deep analysis of content with HOLD-QUEUE stays open until the
	// test ends: the queue page cancels it.
	hold := make(chan struct{})
	var holdOnce sync.Once
	unhold := func() { holdOnce.Do(func() { close(hold) }) }
	t.Cleanup(unhold)
	responder := func(r providertest.Request) string {
		switch {
		case r.SchemaName == "findings" && strings.Contains(r.Prompt, "HOLD-QUEUE"):
			<-hold
			return `{"findings":[]}`
		case r.SchemaName == "findings":
			<-release
			return `{"findings":[{"quote":"Hij vind","message":"d/t: hij vindt ` + jsonEscape(hostileImg+hostileScript) + `","suggestion":"Hij vindt","severity":"problem"}]}`
		case strings.Contains(r.SchemaName, "hero"):
			return `{"headline":"` + jsonEscape(hostileScript) + `Fresh bread","subheadline":"` + jsonEscape(hostileImg) + `Baked daily","cta_label":"Order now","cta_url":"javascript:window.__pwned=1"}`
		}
		return providertest.DefaultResponder(r)
	}
	models, _ := MustFakeModels(t, providertest.Options{Responder: responder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	adminEmail := cmp.Or(m.Config.Access.AdminEmail, AdminEmailDefault)

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"admin", "set-password", "--data", m.Config.DataDir, "--email", adminEmail, "--password-stdin"},
		strings.NewReader(uiPassword+"\n"), &out, &errOut, func(string) string { return "" }); err != nil {
		t.Fatalf("admin set-password: %v\n%s", err, errOut.String())
	}

	t.Run("login", func(t *testing.T) {
		var url string
		MustRunUI(t, browser, "open the login page",
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.CSS("#login-email")),
			into(&url, chromedp.Location()))
		if !strings.HasSuffix(url, "/ui/#/login") {
			t.Errorf("/ led to %s, want /ui/#/login", url)
		}
		screenshot(t, browser, shots, "login")
		mustBeAccessible(t, browser, "login")
		MustRunUI(t, browser, "log in",
			chromedp.SendKeys(chromedp.CSS("#login-email"), adminEmail),
			chromedp.SendKeys(chromedp.CSS("#login-password"), uiPassword),
			chromedp.Click(chromedp.CSS("#login-submit")),
			chromedp.WaitVisible(chromedp.CSS("#analyze-form")),
			chromedp.WaitVisible(chromedp.CSS(`#nav a[data-page="dashboard"]`)))
	})

	t.Run("analyze", func(t *testing.T) {
		// Multi-byte characters before the quoted words check the UTF-8 to
		// UTF-16 conversion of the finding's span.
		content := "Café ☕ 😀 — " + dutchText + " " + hostileImg + " " + hostileScript
		MustRunUI(t, browser, "analyze locally",
			chromedp.Navigate(base+"/ui/#/analyze"),
			chromedp.WaitVisible(chromedp.CSS("#analyze-form")),
			chromedp.SetValue(chromedp.CSS("#analyze-content"), content),
			chromedp.SetValue(chromedp.CSS("#analyze-format"), "text"),
			chromedp.SetValue(chromedp.CSS("#analyze-language"), "nl"),
			evalInto(new(string), `document.getElementById("analyze-keyphrase").value = ""`),
			chromedp.Click(chromedp.CSS(`input[name="deep"][value="grammar"]`)),
			chromedp.Click(chromedp.CSS("#analyze-submit")),
			chromedp.WaitVisible(chromedp.CSS("#card-overall")),
			chromedp.WaitVisible(chromedp.CSS("#card-sentiment")),
			chromedp.WaitVisible(chromedp.CSS("#card-grammar .waiting")))
		var cards, modelFindings int
		MustRunUI(t, browser, "count local cards", evalInto(&cards, `document.querySelectorAll("#analyze-cards article.result").length`),
			evalInto(&modelFindings, `document.querySelectorAll('#card-grammar .finding[data-rule="model.finding"]').length`))
		if cards != 6 || modelFindings != 0 {
			t.Errorf("before the model answered: got %d result cards and %d model findings, want 6 and 0", cards, modelFindings)
		}
		var grammarBefore, overallBefore int
		MustRunUI(t, browser, "scores before the model", evalInto(&grammarBefore, `Number(document.querySelector("#card-grammar .score").textContent)`),
			evalInto(&overallBefore, `Number(document.querySelector("#card-overall .score").textContent)`))
		open()
		var msg, src, marked, preview string
		MustRunUI(t, browser, "model finding over SSE",
			chromedp.WaitVisible(chromedp.CSS(`#card-grammar .finding[data-rule="model.finding"]`)),
			chromedp.WaitVisible(chromedp.CSS("#analyze-done")),
			into(&msg, chromedp.Text(chromedp.CSS(`#card-grammar .finding[data-rule="model.finding"] .msg`))),
			into(&src, chromedp.Text(chromedp.CSS(`#card-grammar .finding[data-rule="model.finding"] .src`))),
			chromedp.Click(chromedp.CSS(`#card-grammar .finding[data-rule="model.finding"]`)),
			chromedp.WaitVisible(chromedp.CSS("#analyze-preview mark")),
			into(&marked, chromedp.Text(chromedp.CSS("#analyze-preview mark"))),
			into(&preview, chromedp.Text(chromedp.CSS("#analyze-preview"))))
		if !strings.Contains(msg, "<img src=x") || !strings.Contains(msg, "<script>") {
			t.Errorf("model finding message %q, want the hostile text shown as text", msg)
		}
		if !strings.Contains(src, "gpt-4o-mini") {
			t.Errorf("model finding source %q, want the model's name", src)
		}
		// The model's problem counts in the card's and the overall score.
		var grammarAfter, overallAfter int
		var modelLine string
		MustRunUI(t, browser, "scores after the model", evalInto(&grammarAfter, `Number(document.querySelector("#card-grammar .score").textContent)`),
			evalInto(&overallAfter, `Number(document.querySelector("#card-overall .score").textContent)`),
			evalInto(&modelLine, `document.querySelector("#card-grammar .model-line").textContent`))
		if grammarAfter >= grammarBefore || overallAfter >= overallBefore {
			t.Errorf("scores after the model's problem: grammar %d (before %d), overall %d (before %d); want both lower", grammarAfter, grammarBefore, overallAfter, overallBefore)
		}
		if !strings.Contains(modelLine, "gpt-4o-mini") || strings.Contains(modelLine, "unknown") {
			t.Errorf("grammar card's model line %q, want the model named", modelLine)
		}
		if marked != "Hij vind" {
			t.Errorf("highlighted %q, want %q", marked, "Hij vind")
		}
		if !strings.Contains(preview, hostileScript) {
			t.Errorf("preview %q does not show the content as text", preview)
		}
		mustNotBePwned(t, browser, "analyze")
		screenshot(t, browser, shots, "analyze")
		mustBeAccessible(t, browser, "analyze")
	})

	t.Run("editor", func(t *testing.T) {
		// A long Markdown page: the repeated word is in its last paragraph,
		// far below the first screen of the rendered preview.
		var b strings.Builder
		b.WriteString("# Fresh bread in Utrecht\n\nOur bakery bakes **fresh bread** every morning.\n\n")
		for i := range 40 {
			fmt.Fprintf(&b, "## Part %d\n\nWe bake sourdough and rye with flour from the mill next door, and the loaves are ready at seven every day.\n\n", i+1)
		}
		b.WriteString("Come by and taste the the fresh bread yourself.\n")
		MustRunUI(t, browser, "analyze without SEO fields",
			chromedp.Navigate(base+"/ui/#/analyze"),
			chromedp.WaitVisible(chromedp.CSS("#analyze-form")),
			chromedp.SetValue(chromedp.CSS("#analyze-content"), b.String()),
			chromedp.SetValue(chromedp.CSS("#analyze-format"), "markdown"),
			chromedp.SetValue(chromedp.CSS("#analyze-language"), "en"),
			chromedp.SetValue(chromedp.CSS("#analyze-keyphrase"), "fresh bread"),
			evalInto(new(bool), `(() => { for (const b of document.querySelectorAll('input[name="deep"]')) b.checked = false; return true; })()`),
			chromedp.Click(chromedp.CSS("#analyze-submit")),
			chromedp.WaitVisible(chromedp.CSS("#analyze-done")))
		var before, after int
		MustRunUI(t, browser, "read the SEO score", evalInto(&before, `Number(document.querySelector("#card-seo .score").textContent)`))
		const meta = "Fresh bread from our bakery in Utrecht, baked every morning: sourdough, rye and white loaves, ready at seven and easy to order online for pickup."
		var titleBand, metaBand string
		var titleJS float64
		MustRunUI(t, browser, "fill the SEO fields",
			chromedp.SendKeys(chromedp.CSS("#analyze-title"), "Fresh bread every morning | Bakery in Utrecht"),
			chromedp.SendKeys(chromedp.CSS("#analyze-meta"), meta),
			chromedp.SendKeys(chromedp.CSS("#analyze-slug"), "fresh-bread"),
			chromedp.SendKeys(chromedp.CSS("#analyze-related"), "sourdough, flour mill"),
			evalInto(&titleBand, `document.getElementById("snippet-title-bar").dataset.band`),
			evalInto(&titleJS, `Number(document.getElementById("snippet-title-bar").dataset.value)`),
			evalInto(&metaBand, `document.getElementById("snippet-meta-bar").dataset.band`),
			evalInto(new(bool), `document.getElementById("analyze-done").remove(), true`),
			chromedp.Click(chromedp.CSS("#analyze-submit")),
			chromedp.WaitVisible(chromedp.CSS("#analyze-done")),
			evalInto(&after, `Number(document.querySelector("#card-seo .score").textContent)`))
		if after <= before {
			t.Errorf("SEO score %d with the SEO title, meta description and slug filled, want more than %d without", after, before)
		}
		var related []string
		MustRunUI(t, browser, "related keyphrases", chromedp.WaitVisible(chromedp.CSS("#card-related-1")),
			evalInto(&related, `[...document.querySelectorAll("#analyze-cards [id^=card-related-]")].map((c) => c.querySelector("h3").textContent + " " + c.querySelector(".score").textContent)`))
		if len(related) != 2 || !strings.HasPrefix(related[0], "Related: sourdough ") {
			t.Errorf("related keyphrase cards %q, want two with a score", related)
		}
		if titleBand != "good" || metaBand != "good" {
			t.Errorf("snippet bars: title %q, meta description %q, want both good", titleBand, metaBand)
		}
		// The snippet's pixel width is the server's.
		r := call(t, base, "POST", "/v1/analyses", MustAdminKey(t, m), map[string]any{"content": "x", "title": "Fresh bread every morning | Bakery in Utrecht", "types": []string{"seo"}})
		if want := fmt.Sprintf(`"title_width_px":%v`, titleJS); !strings.Contains(string(r.Body), want) {
			t.Errorf("the page measured the title as %v px; the server's report: %.400s", titleJS, r.Body)
		}

		// The repeated word's finding, clicked with the page scrolled to the
		// cards: its highlight is inside the viewport and the preview.
		var res struct {
			Marked                    string
			Top, Bottom, ViewH        float64
			BoxTop, BoxBottom         float64
			Flash, Rendered, Selected bool
		}
		sel := `#card-grammar .finding[data-rule="grammar.repeated_word"]`
		MustRunUI(t, browser, "click a finding far down",
			chromedp.ScrollIntoView(chromedp.CSS(sel)),
			chromedp.Click(chromedp.CSS(sel)),
			chromedp.WaitVisible(chromedp.CSS("#analyze-preview mark")),
			evalInto(&res, `(() => {
				const m = document.querySelector("#analyze-preview mark"), box = document.getElementById("analyze-preview").getBoundingClientRect();
				const r = m.getBoundingClientRect();
				return { Marked: m.textContent, Top: r.top, Bottom: r.bottom, ViewH: window.innerHeight, BoxTop: box.top, BoxBottom: box.bottom,
					Flash: m.classList.contains("flash"), Rendered: !!document.querySelector("#analyze-preview h2 .run"),
					Selected: document.querySelector(`+"`"+sel+"`"+`).classList.contains("selected") };
			})()`))
		if !strings.EqualFold(res.Marked, "the the") {
			t.Errorf("highlighted %q, want the repeated word", res.Marked)
		}
		if res.Top < 0 || res.Bottom > res.ViewH || res.Top < res.BoxTop || res.Bottom > res.BoxBottom {
			t.Errorf("the highlight spans %.0f–%.0f px: want it inside the viewport (0–%.0f) and the preview (%.0f–%.0f)", res.Top, res.Bottom, res.ViewH, res.BoxTop, res.BoxBottom)
		}
		if !res.Flash || !res.Rendered || !res.Selected {
			t.Errorf("flash %v, rendered Markdown headings %v, finding selected %v; want all", res.Flash, res.Rendered, res.Selected)
		}
		// Keyboard: the arrow key moves to the next finding and chooses it.
		var moved bool
		MustRunUI(t, browser, "arrow down",
			evalInto(new(bool), `(window.__visible = () => [...document.querySelectorAll("#analyze-cards .finding")].filter((el) => el.offsetParent !== null), window.__visible()[0].focus(), true)`),
			chromedp.KeyEvent(kb.ArrowDown),
			evalInto(&moved, `(() => { const all = window.__visible(); return document.activeElement === all[1] && all[1].classList.contains("selected") && !all[0].classList.contains("selected"); })()`))
		if !moved {
			t.Errorf("ArrowDown did not move to and choose the next finding")
		}
		screenshot(t, browser, shots, "analyze-editor")
		mustBeAccessible(t, browser, "analyze-editor")
	})

	t.Run("spans", func(t *testing.T) {
		// The byte-offset conversion on its own: "é" is 2 bytes, "☕" 3
		// and "😀" 4 bytes (2 UTF-16 units).
		var got []int
		MustRunUI(t, browser, "byteIndexer", evalInto(&got, `(async () => {
			const { byteIndexer } = await import(document.body.dataset.assets + "/spans.js");
			const at = byteIndexer("aé☕😀b");
			return [0, 1, 3, 6, 10, 11, 2, 99].map(at);
		})()`))
		want := []int{0, 1, 2, 3, 5, 6, 1, 6}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("byte offsets 0,1,3,6,10,11,2,99 map to %v, want %v", got, want)
		}
	})

	t.Run("generate", func(t *testing.T) {
		MustRunUI(t, browser, "generate three blocks",
			chromedp.Navigate(base+"/ui/#/generate"),
			chromedp.WaitVisible(chromedp.CSS("#gen-form")),
			chromedp.Click(chromedp.CSS("#gen-submit")),
			chromedp.WaitVisible(chromedp.CSS("#gen-done")))
		var res struct {
			Done, Failed, Frames, Streamed int
			Sandbox                        []string
			Hero                           string
		}
		MustRunUI(t, browser, "read the blocks", evalInto(&res, `(() => {
			const cards = [...document.querySelectorAll("#gen-cards article.block")];
			const frames = [...document.querySelectorAll("#gen-cards iframe")];
			return {
				Done: cards.filter((c) => c.classList.contains("done")).length,
				Failed: cards.filter((c) => c.classList.contains("failed")).length,
				Frames: frames.length,
				Streamed: cards.filter((c) => c.querySelector("pre.stream").textContent.length > 0).length,
				Sandbox: frames.map((f) => f.getAttribute("sandbox")),
				Hero: (document.querySelector('#gen-cards article[data-type="hero"] iframe') || {}).srcdoc || "",
			};
		})()`))
		if res.Done != 3 || res.Failed != 0 || res.Frames != 3 {
			t.Errorf("got %d done, %d failed blocks and %d frames, want 3, 0, 3", res.Done, res.Failed, res.Frames)
		}
		if res.Streamed != 3 {
			t.Errorf("%d of 3 cards showed streamed text", res.Streamed)
		}
		for _, sb := range res.Sandbox {
			if sb != "allow-same-origin" {
				t.Errorf("frame sandbox %q, want \"allow-same-origin\" (no scripts; the page reads the height)", sb)
			}
		}
		if !strings.Contains(res.Hero, "Fresh bread") {
			t.Errorf("hero frame lacks its headline: %.300s", res.Hero)
		}
		_, body, _ := strings.Cut(res.Hero, "<body>")
		MustBeHarmless(t, "hero frame", body)
		// Frames are as tall as their content; the page and each block copy
		// as HTML and Markdown, and the page downloads.
		var ex struct {
			Fit                           []bool
			PageHTML, PageMD, BlockMD, DL string
			DLType                        string
		}
		MustRunUI(t, browser, "copy and download", evalInto(&ex, `(async () => {
			const frames = [...document.querySelectorAll("#gen-cards iframe")];
			const Fit = frames.map((f) => { const h = f.contentDocument.documentElement.scrollHeight; return h > 40 && Math.abs(f.getBoundingClientRect().height - h) <= 3; });
			const copied = [];
			navigator.clipboard.writeText = async (t) => { copied.push(t); };
			let blob = null;
			const orig = URL.createObjectURL;
			URL.createObjectURL = (b) => { blob = b; return orig.call(URL, b); };
			document.getElementById("gen-copy-html").click();
			document.getElementById("gen-copy-md").click();
			document.querySelector('#gen-cards article[data-type="hero"] .copy-md').click();
			document.getElementById("gen-download-html").click();
			URL.createObjectURL = orig;
			await new Promise((r) => setTimeout(r, 0));
			return { Fit, PageHTML: copied[0] || "", PageMD: copied[1] || "", BlockMD: copied[2] || "", DL: blob ? await blob.text() : "", DLType: blob ? blob.type : "" };
		})()`))
		for i, ok := range ex.Fit {
			if !ok {
				t.Errorf("frame %d is not as tall as its content", i)
			}
		}
		if !strings.Contains(ex.PageHTML, "<h1") || strings.Count(ex.PageHTML, "<section") < 3 && strings.Count(ex.PageHTML, "</") < 6 {
			t.Errorf("page copied as HTML: %.300s", ex.PageHTML)
		}
		if !strings.Contains(ex.PageMD, "Fresh bread") || strings.Contains(ex.PageMD, "<h1") || !strings.Contains(ex.BlockMD, "Fresh bread") || len(ex.BlockMD) >= len(ex.PageMD) {
			t.Errorf("Markdown copies: page %.300q, hero %.200q", ex.PageMD, ex.BlockMD)
		}
		if ex.DLType != "text/html" || !strings.HasPrefix(ex.DL, "<!doctype html>") || !strings.Contains(ex.DL, "<title>Bakkerij Jansen</title>") || !strings.Contains(ex.DL, ex.PageHTML) {
			t.Errorf("downloaded page (%s): %.400s", ex.DLType, ex.DL)
		}
		// Regenerate one block with instructions: a new job of that block
		// alone (a new prompt, so not the cached answer) fills the same card.
		var regen struct {
			Done, Cached bool
			Version      string
			Others       []string
		}
		hero := `#gen-cards article[data-type="hero"]`
		MustRunUI(t, browser, "regenerate the hero",
			chromedp.SendKeys(chromedp.CSS(hero+" .regen-note"), "shorter"),
			chromedp.Click(chromedp.CSS(hero+" .regen")),
			into(new(bool), chromedp.Poll[bool](`document.querySelector('`+hero+`')?.dataset.version === "2" && document.querySelector('`+hero+`')?.classList.contains("done")`)),
			evalInto(&regen, `(() => { const c = document.querySelector('`+hero+`');
				return { Done: c.classList.contains("done"), Cached: c.querySelector(".meta").textContent.includes("cached"), Version: c.dataset.version,
					Others: [...document.querySelectorAll("#gen-cards article.block")].map((b) => b.dataset.type + ":" + b.dataset.version) }; })()`))
		if !regen.Done || regen.Cached || fmt.Sprint(regen.Others) != "[hero:2 features:1 cta:1]" {
			t.Errorf("after regenerating the hero: %+v; want it done again, not cached, the other blocks untouched", regen)
		}
		// Edit the hero's headline in its frame by typing, with something
		// hostile pasted in as well; saved, every export carries the edit
		// and none of the markup.
		var editable string
		var edit struct {
			PageHTML, PageMD, BlockMD, DLMD string
			Frame, Edited, Note             string
		}
		MustRunUI(t, browser, "edit the hero",
			into(new(bool), chromedp.Poll[bool](`document.querySelector('`+hero+` iframe')?.dataset.loaded === "yes"`)),
			chromedp.Click(chromedp.CSS(hero+" .edit-block")),
			into(new(bool), chromedp.Poll[bool](`document.querySelector('`+hero+`').classList.contains("editing")`)),
			evalInto(&editable, `(() => {
				const f = document.querySelector('`+hero+` iframe'), d = f.contentDocument, h1 = d.querySelector("h1");
				const r = d.createRange(); r.selectNodeContents(h1);
				const sel = d.getSelection(); sel.removeAllRanges(); sel.addRange(r);
				// What a paste brings: wrappers and attributes the export drops.
				const u = d.createElement("u"); u.setAttribute("data-x", "1"); u.textContent = " *Really*";
				const p = d.querySelector("p"); p.setAttribute("title", "pasted"); p.append(u);
				return d.body.contentEditable; })()`),
			chromedp.KeyEvent("Warm loaves <b>daily</b>"),
			// The typing grows the frame a frame later (its resize
			// observer), which moves Save down; a click aimed before
			// that lands where Save was (CI of 171f99f).
			evalInto(new(bool), settledFrame(hero+" iframe")),
			chromedp.Click(chromedp.CSS(hero+" .edit-block")),
			into(new(bool), chromedp.Poll[bool](`document.querySelector('`+hero+`')?.dataset.edited === "yes"`)),
			evalInto(&edit, `(async () => {
				const copied = [];
				navigator.clipboard.writeText = async (t) => { copied.push(t); };
				let blob = null;
				const orig = URL.createObjectURL;
				URL.createObjectURL = (b) => { blob = b; return orig.call(URL, b); };
				document.getElementById("gen-copy-html").click();
				document.getElementById("gen-copy-md").click();
				document.querySelector('`+hero+` .copy-md').click();
				document.getElementById("gen-download-md").click();
				URL.createObjectURL = orig;
				await new Promise((r) => setTimeout(r, 0));
				const c = document.querySelector('`+hero+`');
				return { PageHTML: copied[0] || "", PageMD: copied[1] || "", BlockMD: copied[2] || "", DLMD: blob ? await blob.text() : "",
					Frame: c.querySelector("iframe").srcdoc, Edited: c.dataset.edited, Note: c.querySelector(".edit-note").textContent }; })()`))
		if editable != "true" {
			t.Errorf("hero frame body contentEditable %q after Edit text, want true", editable)
		}
		if edit.Edited != "yes" || !strings.HasPrefix(edit.Note, "Edited") {
			t.Errorf("hero card after saving: edited %q, note %q", edit.Edited, edit.Note)
		}
		const typed = "Warm loaves &lt;b&gt;daily&lt;/b&gt;"
		if !strings.Contains(edit.PageHTML, "<h1>"+typed+"</h1>") || !strings.Contains(edit.Frame, "<h1>"+typed+"</h1>") {
			t.Errorf("page HTML after the edit lacks the typed headline as text: %.400s", edit.PageHTML)
		}
		for _, md := range []string{edit.PageMD, edit.BlockMD, edit.DLMD} {
			if !strings.Contains(md, `# Warm loaves \<b\>daily\</b\>`) || !strings.Contains(md, `\*Really\*`) {
				t.Errorf("Markdown export after the edit: %.400q, want the typed headline and text, Markdown escaped", md)
			}
		}
		for name, s := range map[string]string{"page HTML": edit.PageHTML, "frame": edit.Frame} {
			if strings.Contains(s, "<u>") || strings.Contains(s, "<u ") || strings.Contains(s, "data-x") || strings.Contains(s, `title="pasted"`) {
				t.Errorf("%s keeps the pasted markup: %.500s", name, s)
			}
		}
		// Hostile markup an editor could paste, parsed inert (a template's
		// content: no script runs, nothing loads), through the same cleaner.
		var cleaned struct{ HTML, Markdown string }
		MustRunUI(t, browser, "clean pasted markup", evalInto(&cleaned, `(async () => {
			const { cleanBlock } = await import(document.body.dataset.assets + "/blockedit.js");
			// Built in a document without a window. Event handler and style
			// attributes are left out only because Chromium reports them as
			// CSP violations even there (the console must stay clean): the
			// cleaner copies no attribute but class and href, which title,
			// data-* and a javascript: link show.
			const doc = document.implementation.createHTMLDocument("");
			const el = (tag, attrs, ...kids) => { const e = doc.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); e.append(...kids); return e; };
			doc.body.append(el("section", { class: "cd-block cd-hero evil", "data-bind": "x()" },
				el("h1", { title: "color:red" }, "Title", el("script", {}, "parent.__pwned=1")),
				el("p", {}, "Text ", el("img", { src: "x", alt: "parent.__pwned=1" }), el("a", { href: "javascript:parent.__pwned=1", title: "y()" }, "more"), " ", el("a", { href: "https://example.com/a" }, "ok")),
				el("noscript", {}, "display:none"), el("iframe", { src: "https://evil.example" }), el("object", { data: "https://evil.example/x.swf" }),
				el("p", {}, el("b", {}, "bold"), " ", el("i", {}, "it"))));
			const out = cleanBlock(doc.body);
			return { HTML: out.html, Markdown: out.markdown }; })()`))
		for _, bad := range []string{"<img", "data-bind", "title=", "x()", "y()", "<script", "__pwned", "<noscript", "display:none", "color:red", "javascript:", "<iframe", "<object", "evil"} {
			if strings.Contains(cleaned.HTML, bad) || strings.Contains(cleaned.Markdown, bad) {
				t.Errorf("cleaned block keeps %q: %s / %q", bad, cleaned.HTML, cleaned.Markdown)
			}
		}
		if want := `<section><h1>Title</h1><p>Text <a href="#">more</a> <a href="https://example.com/a">ok</a></p><p><strong>bold</strong> <em>it</em></p></section>`; cleaned.HTML != want {
			t.Errorf("cleaned HTML:\n got %s\nwant %s", cleaned.HTML, want)
		}
		if want := "# Title\n\nText [more](<#>) [ok](<https://example.com/a>)\n\n**bold** _it_\n"; cleaned.Markdown != want {
			t.Errorf("cleaned Markdown: got %q, want %q", cleaned.Markdown, want)
		}
		if !strings.Contains(edit.PageHTML, `class="cd-block cd-hero"`) || strings.Contains(edit.PageMD, "Fresh bread") {
			t.Errorf("edited page: want the hero's section class kept and the old headline gone: %.400s / %.300q", edit.PageHTML, edit.PageMD)
		}
		mustNotBePwned(t, browser, "generate")
		screenshot(t, browser, shots, "generate")
		mustBeAccessible(t, browser, "generate")
	})

	t.Run("translate", func(t *testing.T) {
		var texts []string
		MustRunUI(t, browser, "translate into two languages",
			chromedp.Navigate(base+"/ui/#/translate"),
			chromedp.WaitVisible(chromedp.CSS("#tr-form")),
			chromedp.WaitVisible(chromedp.CSS("#gl-save")),
			chromedp.Click(chromedp.CSS("#tr-submit")),
			chromedp.WaitVisible(chromedp.CSS("#tr-done")),
			evalInto(&texts, `[...document.querySelectorAll("#tr-panels article.panel.done pre.translation")].map((p) => p.dataset.lang + ": " + p.textContent)`))
		if len(texts) != 2 {
			t.Fatalf("got %d filled language panels, want 2: %q", len(texts), texts)
		}
		for i, lang := range []string{"nl", "de"} {
			if !strings.HasPrefix(texts[i], lang+": ") || !strings.Contains(texts[i], "Fresh bread") {
				t.Errorf("panel %d: %q, want %s with the translated text", i, texts[i], lang)
			}
		}
		var terms int
		MustRunUI(t, browser, "edit the glossary",
			chromedp.Click(chromedp.CSS("#gl-add")),
			chromedp.SendKeys(chromedp.CSS("#gl-table tbody tr:last-child .gl-term"), "Copydesk"),
			chromedp.Click(chromedp.CSS("#gl-table tbody tr:last-child .gl-keep")),
			chromedp.Click(chromedp.CSS("#gl-save")),
			chromedp.WaitVisible(chromedp.CSS("#gl-saved")),
			evalInto(&terms, `document.querySelectorAll("#gl-table tbody tr").length`))
		if terms != 1 {
			t.Errorf("glossary shows %d terms after saving one, want 1", terms)
		}
		r := call(t, base, "GET", "/v1/glossary", MustAdminKey(t, m), nil)
		if !strings.Contains(string(r.Body), `"term":"Copydesk","do_not_translate":true`) {
			t.Errorf("stored glossary %s, want the term saved from the page", r.Body)
		}
		screenshot(t, browser, shots, "translate")
		mustBeAccessible(t, browser, "translate")
	})

	t.Run("restarted", func(t *testing.T) {
		// The stream is replaced by a scripted one (the page's own
		// handlers run): a task's text from before task.restarted is gone.
		const fake = `(() => {
			window.__realES = window.__realES || window.EventSource;
			window.EventSource = class {
				constructor(url) { this.url = url; this.readyState = 1; this.l = {}; window.__es = this; }
				addEventListener(t, f) { (this.l[t] ||= []).push(f); }
				emit(list) { for (const [t, d] of list) for (const f of this.l[t] || []) f({ data: JSON.stringify(d) }); }
				close() { this.readyState = 2; }
			};
			window.EventSource.CLOSED = 2;
			return true;
		})()`
		var gen struct{ Before, After, State string }
		MustRunUI(t, browser, "generate restarted",
			chromedp.Navigate(base+"/ui/#/generate"),
			chromedp.WaitVisible(chromedp.CSS("#gen-form")),
			evalInto(new(bool), fake),
			chromedp.Click(chromedp.CSS("#gen-submit")),
			chromedp.WaitVisible(chromedp.CSS("#gen-cards article.block")),
			into(new(bool), chromedp.Poll[bool](`!!window.__es`)),
			evalInto(&gen, `(() => {
				const card = document.querySelector("#gen-cards article.block"), task = card.dataset.task, pre = card.querySelector("pre.stream");
				window.__es.emit([["task.started", { task }], ["delta", { task, text: "OLD-ATTEMPT " }]]);
				const Before = pre.textContent;
				window.__es.emit([["task.restarted", { task, attempt: 2 }], ["task.started", { task }], ["delta", { task, text: "NEW-ATTEMPT" }]]);
				return { Before, After: pre.textContent, State: card.querySelector(".state").textContent };
			})()`))
		if gen.Before != "OLD-ATTEMPT " || gen.After != "NEW-ATTEMPT" || gen.State != "writing…" {
			t.Errorf("generate: before the restart %q, after %q (state %q); want OLD-ATTEMPT, then only NEW-ATTEMPT", gen.Before, gen.After, gen.State)
		}
		var tr struct {
			Streaming bool
			Before    []string
			After     []string
			Marked    []string
		}
		MustRunUI(t, browser, "translate restarted",
			chromedp.Navigate(base+"/ui/#/translate"),
			chromedp.WaitVisible(chromedp.CSS("#tr-form")),
			evalInto(new(bool), `window.__es = null, true`),
			chromedp.SetValue(chromedp.CSS("#tr-content"), "A sentence no memory holds yet.\n\nAnd a second one."),
			chromedp.Click(chromedp.CSS("#tr-submit")),
			chromedp.WaitVisible(chromedp.CSS("#tr-nl")),
			into(new(bool), chromedp.Poll[bool](`!!window.__es`)),
			evalInto(&tr, `(() => {
				const task = "translation.nl", panel = document.getElementById("tr-nl");
				const rows = () => [...panel.querySelectorAll("tbody tr")].map((r) => r.dataset.index + ":" + r.querySelector(".tgt").textContent);
				window.__es.emit([["task.started", { task, language: "nl" }], ["task.segments", { task, language: "nl", segments: [{ index: 1, source: "And a second one.", text: "OLD-1", from: "model" }] }],
					["task.segments", { task, language: "nl", segments: [{ index: 0, source: "A sentence", text: "OLD-0", from: "model" }] }]]);
				const Before = rows(), Streaming = panel.classList.contains("pending") && !!panel.querySelector("tbody tr");
				window.__es.emit([["task.restarted", { task, attempt: 2 }], ["task.started", { task, language: "nl" }],
					["task.segments", { task, language: "nl", segments: [{ index: 0, source: "A sentence", text: "NEW-0", from: "model" }, { index: 1, source: "Try copydesk now.", text: "Probeer Copydesk nu.", from: "model" }] }]]);
				// The glossary term saved above (Copydesk, kept as is) is marked on both sides.
				const Marked = [...panel.querySelectorAll('tr[data-index="1"] mark.gl')].map((m) => m.closest("td").className + ":" + m.textContent);
				return { Streaming, Before, After: rows(), Marked };
			})()`),
			evalInto(new(bool), `(window.EventSource = window.__realES, true)`))
		if !tr.Streaming || fmt.Sprint(tr.Before) != "[0:OLD-0 1:OLD-1]" || fmt.Sprint(tr.After) != "[0:NEW-0 1:Probeer Copydesk nu.]" {
			t.Errorf("translate: streaming rows shown %v, before the restart %v, after %v; want [0:OLD-0 1:OLD-1] in order while pending, then only the new attempt's", tr.Streaming, tr.Before, tr.After)
		}
		if fmt.Sprint(tr.Marked) != "[src:copydesk tgt:Copydesk]" {
			t.Errorf("glossary marks %q, want the term in the source and the target", tr.Marked)
		}
		mustNotBePwned(t, browser, "restarted")
	})

	t.Run("dashboard", func(t *testing.T) {
		var tiers, days int
		var figures string
		MustRunUI(t, browser, "dashboard",
			chromedp.Navigate(base+"/ui/#/dashboard"),
			chromedp.WaitVisible(chromedp.CSS("#chart-cache")),
			chromedp.WaitVisible(chromedp.CSS("#chart-cost")),
			chromedp.WaitVisible(chromedp.CSS("#chart-latency")),
			chromedp.WaitVisible(chromedp.CSS("#dash-alerts h4")),
			evalInto(&tiers, `document.querySelectorAll("#chart-cache rect.bar").length`),
			evalInto(&days, `document.querySelectorAll("#chart-cost rect.bar").length`),
			into(&figures, chromedp.Text(chromedp.CSS("#dash-figures"))))
		if tiers != 4 {
			t.Errorf("cache chart has %d bars, want 4 tiers", tiers)
		}
		if days != 30 {
			t.Errorf("cost chart has %d bars, want 30 days", days)
		}
		if !strings.Contains(figures, "Queue wait p95") {
			t.Errorf("figures %q lack the queue wait", figures)
		}
		// Money is shown with its currency, never as 5e-16; the cache panel
		// shows the figure the cache_hit_rate rule reads.
		var axis []string
		var rule string
		var readings int
		MustRunUI(t, browser, "cost axis and rule readings",
			chromedp.WaitVisible(chromedp.CSS("#dash-cache-rule")),
			evalInto(&axis, `[...document.querySelectorAll("#chart-cost text.axis")].slice(0, 3).map((t) => t.textContent)`),
			into(&rule, chromedp.Text(chromedp.CSS("#dash-cache-rule"))),
			evalInto(&readings, `document.querySelectorAll("#dash-readings tbody tr").length`))
		for _, a := range axis {
			if !strings.HasPrefix(a, "$") || strings.Contains(a, "e-") {
				t.Errorf("cost axis labels %q, want amounts in USD", axis)
				break
			}
		}
		if !strings.Contains(rule, "cache_hit_rate reads") || !strings.Contains(rule, "%") {
			t.Errorf("cache panel rule line %q", rule)
		}
		if readings < 5 {
			t.Errorf("%d rule readings shown, want one per rule and subject", readings)
		}
		// Provider health from /metrics and this month's spend from the
		// ledger (the analyze tests above made model calls).
		var provider []string
		var models int
		var keys []string
		MustRunUI(t, browser, "providers and spend",
			chromedp.WaitVisible(chromedp.CSS("#dash-providers-table")),
			chromedp.WaitVisible(chromedp.CSS("#dash-spend-models")),
			evalInto(&provider, `[...document.querySelectorAll("#dash-providers-table tbody tr td")].map((td) => td.textContent)`),
			evalInto(&models, `document.querySelectorAll("#dash-spend-models tbody tr").length`),
			evalInto(&keys, `[...document.querySelectorAll("#dash-spend-keys tbody tr td:first-child")].map((td) => td.textContent)`))
		if len(provider) < 8 || provider[2] != "up" || provider[4] == "0" || !strings.Contains(provider[6], "/") {
			t.Errorf("providers row %q, want an endpoint up with its calls and latency percentiles", provider)
		}
		if models < 1 {
			t.Error("spend by model lists no model although calls were made")
		}
		var plan string
		MustRunUI(t, browser, "cost per page",
			chromedp.WaitVisible(chromedp.CSS("#dash-pages-plan")),
			into(&plan, chromedp.Text(chromedp.CSS("#dash-pages-plan"))))
		if !strings.Contains(plan, "per 1,000 pages") || !strings.Contains(plan, "€214.00 baseline") || !strings.Contains(plan, "€3.42 target") {
			t.Errorf("cost per page line %q, want the plan's €214 baseline and €3.42 target", plan)
		}
		// So far every call came from the browser session: no API key.
		if len(keys) < 1 || !strings.HasPrefix(keys[0], "session (cus_") {
			t.Errorf("spend by API key %q, want the session's calls as a row of their own", keys)
		}
		mustNotBePwned(t, browser, "dashboard")
		screenshot(t, browser, shots, "dashboard")
		mustBeAccessible(t, browser, "dashboard")
	})

	t.Run("admin", func(t *testing.T) {
		name := "Acme " + hostileImg
		var customerID, shownName string
		MustRunUI(t, browser, "create a customer",
			chromedp.Navigate(base+"/ui/#/admin"),
			chromedp.WaitVisible(chromedp.CSS("#adm-new-customer")),
			chromedp.SendKeys(chromedp.CSS("#adm-customer-name"), name),
			chromedp.Click(chromedp.CSS("#adm-new-customer-submit")),
			into(new(bool), chromedp.Poll[bool](`(document.querySelector("#adm-customers button.active .cust-name") || {}).textContent?.startsWith("Acme ") && !!document.getElementById("adm-new-user")`)),
			into(&shownName, chromedp.Text(chromedp.CSS("#adm-customers button.active .cust-name"))),
			evalInto(&customerID, `document.querySelector("#adm-customers button.active").dataset.customer`))
		if shownName != name || customerID == "" {
			t.Fatalf("selected customer %q (%s), want %q shown as text", shownName, customerID, name)
		}
		// The server-wide cards: the price table and the alert rules.
		var prices, rules int
		var notifiers string
		MustRunUI(t, browser, "prices and alert rules",
			into(new(bool), chromedp.Poll[bool](`document.querySelectorAll("#adm-prices tbody tr").length > 0 && document.querySelectorAll("#adm-rules tbody tr").length > 0`)),
			evalInto(&prices, `document.querySelectorAll("#adm-prices tbody tr").length`),
			evalInto(&rules, `document.querySelectorAll("#adm-rules tbody tr").length`),
			into(&notifiers, chromedp.Text(chromedp.CSS("#adm-notifiers"))),
			chromedp.SendKeys(chromedp.CSS("#adm-prices-filter"), "gpt-6.1-sol"),
			into(new(bool), chromedp.Poll[bool](`[...document.querySelectorAll("#adm-prices tbody tr")].every((tr) => tr.dataset.model.includes("gpt-6.1-sol"))`)))
		if prices < 10 || rules < 5 || notifiers == "" {
			t.Errorf("admin page shows %d prices, %d rules and notifiers %q; want the catalogue's prices, every rule and where alerts go", prices, rules, notifiers)
		}
		var secret, copied string
		MustRunUI(t, browser, "create a user and a key",
			chromedp.SendKeys(chromedp.CSS("#adm-user-email"), "editor@acme.example"),
			chromedp.SendKeys(chromedp.CSS("#adm-user-name"), "Ed "+hostileScript),
			chromedp.SetValue(chromedp.CSS("#adm-user-role"), "CLIENT"),
			chromedp.SendKeys(chromedp.CSS("#adm-user-password"), uiPassword),
			chromedp.Click(chromedp.CSS("#adm-new-user-submit")),
			chromedp.WaitVisible(chromedp.CSS("#adm-users-table")),
			chromedp.WaitVisible(chromedp.CSS("#adm-new-key")),
			chromedp.SendKeys(chromedp.CSS("#adm-key-name"), "ci key"),
			chromedp.SendKeys(chromedp.CSS("#adm-key-budget"), "3"),
			chromedp.Click(chromedp.CSS("#adm-new-key-submit")),
			chromedp.WaitVisible(chromedp.CSS("#adm-key-secret")),
			into(&secret, chromedp.Text(chromedp.CSS("#adm-key-secret"))),
			evalInto(new(bool), `(navigator.clipboard.writeText = async (t) => { window.__copied = t; }, true)`),
			chromedp.Click(chromedp.CSS("#adm-key-copy")),
			into(&copied, chromedp.Poll[string](`window.__copied`)))
		if copied != secret || !strings.HasPrefix(secret, "cdk_") {
			t.Errorf("key shown %q, copied %q; want one cdk_ key copied as shown", secret, copied)
		}
		// The key works, as the new CLIENT of the new customer.
		r := call(t, base, "POST", "/v1/analyses", secret, map[string]any{"content": dutchText, "language": "nl"})
		if r.Status != 200 {
			t.Fatalf("analysis with the created key: status %d: %s", r.Status, r.Body)
		}
		// A model call with the key is paid from the key's own budget and
		// is a row of its own in the ledger.
		chat := call(t, base, "POST", "/v1/chat/completions", secret, map[string]any{"model": "auto", "max_tokens": 16,
			"messages": []any{map[string]any{"role": "user", "content": "Say hi to the admin page"}}})
		if chat.Status != 200 {
			t.Fatalf("chat with the created key: status %d: %s", chat.Status, chat.Body)
		}
		var keys struct {
			Keys []struct {
				ID, Name string
			} `json:"keys"`
		}
		call(t, base, "GET", "/v1/keys?customer_id="+customerID, MustAdminKey(t, m), nil).json(t, &keys)
		if len(keys.Keys) != 1 {
			t.Fatalf("keys of the new customer: %+v, want the one created", keys)
		}
		keyID := keys.Keys[0].ID
		var kb struct {
			Limit int64 `json:"limit"`
			Spent int64 `json:"spent"`
		}
		call(t, base, "GET", "/v1/budgets?customer_id="+customerID+"&key_id="+keyID, MustAdminKey(t, m), nil).json(t, &kb)
		if kb.Limit != 3_000_000 || kb.Spent <= 0 {
			t.Errorf("key budget %+v, want the 3.00 limit set on the page (3000000 micros) and the chat's cost spent", kb)
		}
		// Usage this month, by key, from the page; the CSV downloads.
		var usage struct{ Keys, CSV string }
		MustRunUI(t, browser, "usage by key and its CSV",
			chromedp.Click(chromedp.CSS("#adm-customers button.active")),
			into(new(bool), chromedp.Poll[bool](`!!document.querySelector("#adm-usage-keys") && document.querySelector("#adm-usage-keys").textContent.includes("ci key")`)),
			evalInto(&usage, `(async () => {
				let blob = null;
				const orig = URL.createObjectURL;
				URL.createObjectURL = (b) => { blob = b; return orig.call(URL, b); };
				document.getElementById("adm-usage-csv").click();
				for (let i = 0; i < 200 && !blob; i++) await new Promise((r) => setTimeout(r, 25));
				URL.createObjectURL = orig;
				return { Keys: document.querySelector("#adm-usage-keys").textContent, CSV: blob ? await blob.text() : "" }; })()`))
		if !strings.Contains(usage.Keys, "ci key") {
			t.Errorf("usage by key: %q, want the key's row", usage.Keys)
		}
		if lines := strings.Split(strings.TrimSpace(usage.CSV), "\n"); len(lines) < 3 || !strings.HasSuffix(lines[0], ",key_id") || !strings.Contains(usage.CSV, ","+keyID) {
			t.Errorf("usage CSV: %q, want a header with key_id, the key's row and a total", usage.CSV)
		}
		// The customer's glossary, with a hostile term kept as text.
		hostileTerm := "Acme" + hostileImg
		MustRunUI(t, browser, "customer glossary",
			chromedp.WaitVisible(chromedp.CSS("#adm-gl-add")),
			chromedp.Click(chromedp.CSS("#adm-gl-add")),
			chromedp.SendKeys(chromedp.CSS("#adm-glossary tbody tr:last-child .gl-term"), hostileTerm),
			chromedp.SendKeys(chromedp.CSS("#adm-glossary tbody tr:last-child .gl-translations"), "nl=Akme, de=Akme GmbH"),
			chromedp.Click(chromedp.CSS("#adm-gl-save")),
			chromedp.WaitVisible(chromedp.CSS("#adm-gl .ok")))
		var gl struct {
			Terms []struct {
				Term         string            `json:"term"`
				Translations map[string]string `json:"translations"`
			} `json:"terms"`
		}
		call(t, base, "GET", "/v1/glossary?customer_id="+customerID, MustAdminKey(t, m), nil).json(t, &gl)
		if len(gl.Terms) != 1 || gl.Terms[0].Term != hostileTerm || gl.Terms[0].Translations["de"] != "Akme GmbH" {
			t.Errorf("stored glossary %+v, want the term saved from the admin page", gl)
		}
		// Translation memory: import a TMX file, export it again.
		tmx := filepath.Join(t.TempDir(), "memory.tmx")
		if err := os.WriteFile(tmx, []byte(`<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="test" creationtoolversion="1" segtype="sentence" o-tmf="test" adminlang="en" srclang="en" datatype="plaintext"/>
<body><tu><tuv xml:lang="en"><seg>Our bakery opens at seven.</seg></tuv><tuv xml:lang="nl"><seg>Onze bakkerij &lt;b&gt;opent om zeven uur.</seg></tuv></tu></body></tmx>`), 0o600); err != nil {
			t.Fatal(err)
		}
		var imported, exported string
		MustRunUI(t, browser, "import and export the translation memory",
			chromedp.SetUploadFiles(chromedp.CSS("#adm-tm-file"), []string{tmx}),
			chromedp.Click(chromedp.CSS("#adm-tm-import")),
			chromedp.WaitVisible(chromedp.CSS("#adm-tm-result .ok")),
			into(&imported, chromedp.Text(chromedp.CSS("#adm-tm-result .ok"))),
			evalInto(&exported, `(async () => {
				let blob = null;
				const orig = URL.createObjectURL;
				URL.createObjectURL = (b) => { blob = b; return orig.call(URL, b); };
				document.getElementById("adm-tm-export").click();
				for (let i = 0; i < 200 && !blob; i++) await new Promise((r) => setTimeout(r, 25));
				URL.createObjectURL = orig;
				return blob ? await blob.text() : ""; })()`))
		if !strings.HasPrefix(imported, "Imported 1 pairs") {
			t.Errorf("import said %q, want 1 pair imported", imported)
		}
		if !strings.Contains(exported, "<tmx") || !strings.Contains(exported, "Our bakery opens at seven.") || !strings.Contains(exported, "Onze bakkerij &lt;b&gt;opent") {
			t.Errorf("exported TMX lacks the imported pair: %.600s", exported)
		}
		// The usage, glossary and memory cards, below the first screen.
		var cards []byte
		MustRunUI(t, browser, "screenshot the usage, glossary and memory",
			// The sticky header would cover the cards in a capture past the first screen.
			evalInto(new(bool), `(document.querySelector("header.top").style.display = "none", true)`),
			into(&cards, chromedp.Screenshot(chromedp.CSS("#adm-body"))),
			evalInto(new(bool), `(document.querySelector("header.top").style.display = "", true)`))
		if err := os.WriteFile(filepath.Join(shots, "admin-usage.png"), cards, 0o644); err != nil {
			t.Fatal(err)
		}
		var purged, budgetMsg string
		MustRunUI(t, browser, "set a budget and purge the cache",
			chromedp.WaitVisible(chromedp.CSS("#adm-budget-form")),
			chromedp.SendKeys(chromedp.CSS("#adm-budget-limit"), "12.5"),
			chromedp.Click(chromedp.CSS("#adm-budget-form-submit")),
			chromedp.WaitVisible(chromedp.CSS("#adm-budget dl.budget-figures")),
			into(&budgetMsg, chromedp.Text(chromedp.CSS("#adm-budget dl.budget-figures"))),
			chromedp.Click(chromedp.CSS("#adm-purge-customer")),
			chromedp.WaitVisible(chromedp.CSS("#adm-purge-result .ok")),
			into(&purged, chromedp.Text(chromedp.CSS("#adm-purge-result .ok"))))
		admin := MustAdminKey(t, m)
		var b struct {
			Limit int64 `json:"limit"`
		}
		call(t, base, "GET", "/v1/budgets?customer_id="+customerID, admin, nil).json(t, &b)
		if b.Limit != 12_500_000 || !strings.Contains(budgetMsg, "$12.50") {
			t.Errorf("budget limit %d micros, shown %q; want 12500000 and $12.50", b.Limit, budgetMsg)
		}
		if !strings.HasPrefix(purged, "Purged ") || strings.HasPrefix(purged, "Purged 0 ") {
			t.Errorf("purge said %q, want the customer's cached report purged", purged)
		}
		// Change the user's role from the page: CLIENT to USER.
		MustRunUI(t, browser, "change a role",
			evalInto(new(bool), `(() => { const s = document.querySelector("#adm-users-table .adm-role"); s.dataset.old = "yes"; s.value = "USER"; s.dispatchEvent(new Event("change")); return true; })()`),
			// The table is drawn again from the API once the change is stored.
			into(new(bool), chromedp.Poll[bool](`(() => { const s = document.querySelector("#adm-users-table .adm-role"); return !!s && !s.dataset.old && s.value === "USER"; })()`)))
		var edited struct{ Email, Role string }
		var listed struct {
			Users []struct{ Email, Role string } `json:"users"`
		}
		call(t, base, "GET", "/v1/users?customer_id="+customerID, admin, nil).json(t, &listed)
		for _, u := range listed.Users {
			if u.Email == "editor@acme.example" {
				edited = u
			}
		}
		if edited.Role != "USER" {
			t.Errorf("role after the page's change: got %q, want USER", edited.Role)
		}
		// Revoke the key and disable the user from the page.
		MustRunUI(t, browser, "revoke and disable",
			chromedp.Click(chromedp.CSS("#adm-keys-table .adm-revoke")),
			chromedp.WaitVisible(chromedp.CSS("#adm-keys-table tr.revoked")),
			chromedp.Click(chromedp.CSS("#adm-users-table .adm-toggle")),
			chromedp.WaitVisible(chromedp.CSS("#adm-users-table td.warn")))
		if r := call(t, base, "POST", "/v1/analyses", secret, map[string]any{"content": dutchText, "language": "nl"}); r.Status != 401 {
			t.Errorf("revoked key: status %d, want 401", r.Status)
		}
		mustNotBePwned(t, browser, "admin")
		screenshot(t, browser, shots, "admin")
		mustBeAccessible(t, browser, "admin")
	})

	t.Run("queue", func(t *testing.T) {
		admin := MustAdminKey(t, m)
		r := call(t, base, "POST", "/v1/analyses", admin, map[string]any{"content": "HOLD-QUEUE " + dutchText, "language": "nl", "deep": []string{"grammar"}})
		var acc struct {
			JobID string `json:"job_id"`
		}
		r.json(t, &acc)
		if r.Status != 202 || acc.JobID == "" {
			t.Fatalf("held analysis: status %d: %s", r.Status, r.Body)
		}
		sel := `#queue-jobs tr[data-job="` + acc.JobID + `"]`
		var statuses []string
		var matrix bool
		MustRunUI(t, browser, "queue page",
			chromedp.Navigate(base+"/ui/#/queue"),
			chromedp.WaitVisible(chromedp.CSS(sel)),
			// The depth table comes from a request of its own: wait for it.
			chromedp.WaitVisible(chromedp.CSS("#queue-matrix, #queue-depth .ok")),
			evalInto(&statuses, `[...document.querySelectorAll("#queue-jobs tbody tr")].map((r) => r.dataset.status)`),
			evalInto(&matrix, `!!document.querySelector("#queue-matrix, #queue-depth .ok")`))
		if len(statuses) < 4 || !matrix {
			t.Errorf("queue page: job statuses %q (want the test's jobs), depth table %v", statuses, matrix)
		}
		var filtered []string
		MustRunUI(t, browser, "cancel the held job and filter",
			chromedp.Click(chromedp.CSS(sel+" .queue-cancel")),
			chromedp.WaitVisible(chromedp.CSS(sel+`[data-status="cancelled"]`)),
			chromedp.SetValue(chromedp.CSS("#queue-status"), "cancelled"),
			evalInto(new(bool), `document.getElementById("queue-status").dispatchEvent(new Event("change")), true`),
			into(new(bool), chromedp.Poll[bool](`[...document.querySelectorAll("#queue-jobs tbody tr")].every((r) => r.dataset.status === "cancelled")`)),
			evalInto(&filtered, `[...document.querySelectorAll("#queue-jobs tbody tr")].map((r) => r.dataset.job)`))
		if fmt.Sprint(filtered) != "["+acc.JobID+"]" {
			t.Errorf("jobs listed as cancelled %q, want only %s", filtered, acc.JobID)
		}
		var job struct {
			Status string `json:"status"`
		}
		call(t, base, "GET", "/v1/jobs/"+acc.JobID, admin, nil).json(t, &job)
		if job.Status != "cancelled" {
			t.Errorf("job status %q after Cancel on the queue page, want cancelled", job.Status)
		}
		unhold() // before the program and the fake provider shut down
		screenshot(t, browser, shots, "queue")
		mustBeAccessible(t, browser, "queue")
	})

	// A last message marks the end: everything before it has arrived.
	MustRunUI(t, browser, "end mark", evalInto(new(bool), `console.info("ui-test-end"), true`))
	console.MustSee(t, browser, "ui-test-end")
	for _, e := range console.errors() {
		t.Errorf("browser console: %s", e)
	}

	t.Run("logout", func(t *testing.T) {
		MustRunUI(t, browser, "log out",
			chromedp.Click(chromedp.CSS("#logout")),
			chromedp.WaitVisible(chromedp.CSS("#login-email")))
	})
}

// jsonEscape escapes s for a JSON string literal (without the quotes).
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
