package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUIPageFigures measures the analyze page as a browser meets it: first
// contentful paint of the shell, the time from Analyze to the first result
// card and to all six, the bytes transferred with the assets cached, and
// the size of all the page's response bodies (a first visit's transfer). It runs only with COPYDESK_BENCH_UI=1 (a measurement, not a
// check) and prints medians of 10 loads; BENCHMARKS.md keeps them.
func TestUIPageFigures(t *testing.T) {
	if os.Getenv("COPYDESK_BENCH_UI") == "" {
		t.Skip("a measurement: set COPYDESK_BENCH_UI=1 to run it")
	}
	browser, _ := MustBrowser(t)
	m := MustRunMain(t)
	base := m.HTTP.URL()
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"admin", "set-password", "--data", m.Config.DataDir, "--email", AdminEmailDefault, "--password-stdin"},
		strings.NewReader(uiPassword+"\n"), &out, &errOut, func(string) string { return "" }); err != nil {
		t.Fatalf("admin set-password: %v\n%s", err, errOut.String())
	}
	MustRunUI(t, browser, "log in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), AdminEmailDefault),
		chromedp.SendKeys(chromedp.CSS("#login-password"), uiPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#analyze-form")))
	content := strings.Repeat(dutchText+" ", 60) // about 1,300 words

	type figures struct {
		FCP, First, All, Bytes, Encoded float64
	}
	measure := func() figures {
		var f figures
		MustRunUI(t, browser, "load and analyze",
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"/ui/#/analyze"),
			chromedp.WaitVisible(chromedp.CSS("#analyze-form")),
			chromedp.SetValue(chromedp.CSS("#analyze-content"), content),
			chromedp.SetValue(chromedp.CSS("#analyze-language"), "nl"),
			// Time Analyze → first card and → six cards inside the page.
			evalInto(new(bool), `(() => {
				window.__t = {};
				const cards = document.getElementById("analyze-cards");
				new MutationObserver(() => {
					const n = cards.querySelectorAll("article.result").length;
					if (n >= 1 && !window.__t.first) window.__t.first = performance.now();
					if (n >= 6 && !window.__t.all) window.__t.all = performance.now();
				}).observe(cards, {childList: true, subtree: true});
				document.getElementById("analyze-submit").addEventListener("click", () => { window.__t.click = performance.now(); }, {capture: true});
				return true;
			})()`),
			chromedp.Click(chromedp.CSS("#analyze-submit")),
			chromedp.WaitVisible(chromedp.CSS("#card-sentiment")),
			into(new(bool), chromedp.Poll[bool](`!!(window.__t && window.__t.all)`)),
			evalInto(&f, `(() => {
				const p = performance.getEntriesByName("first-contentful-paint")[0];
				const rs = performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation"));
				return {FCP: p ? p.startTime : -1, First: window.__t.first - window.__t.click, All: window.__t.all - window.__t.click,
					Bytes: rs.reduce((a, r) => a + (r.transferSize || 0), 0), Encoded: rs.reduce((a, r) => a + (r.encodedBodySize || 0), 0)};
			})()`))
		return f
	}
	median := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	var fcp, first, all, bytes, encoded []float64
	for range 10 {
		f := measure()
		fcp, first, all, bytes, encoded = append(fcp, f.FCP), append(first, f.First), append(all, f.All), append(bytes, f.Bytes), append(encoded, f.Encoded)
	}
	t.Logf("analyze page, %d words, median of 10 loads after login (assets cached): first contentful paint %.0f ms; Analyze -> first result card %.1f ms, -> all six %.1f ms; bytes transferred %.0f; response bodies of the page's resources %.0f (what a first visit transfers)",
		len(strings.Fields(content)), median(fcp), median(first), median(all), median(bytes), median(encoded))
}
