package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/copydesk/copydesk/internal/providertest"
)

// BenchmarkTranslationCached is a translation of the 1,000-word benchmark
// page into three languages, every segment already in the translation
// memory: answered inline (200), no job, no model. The brief's goal is
// < 5 ms server time.
func BenchmarkTranslationCached(b *testing.B) {
	for _, store := range benchStores {
		b.Run("store="+store, func(b *testing.B) {
			st := &serverTimes{route: "POST /v1/translations"}
			models, _ := MustFakeModels(b, providertest.Options{})
			m := MustRunMain(b, withBenchRates, withBenchStore(b, store), func(m *Main) { m.Logger = slog.New(st); m.Routed = models })
			url := m.HTTP.URL() + "/v1/translations"
			body, err := json.Marshal(map[string]any{"content": benchPage1000(), "format": "html", "source_language": "en", "target_languages": []string{"nl", "de", "fr"}})
			if err != nil {
				b.Fatal(err)
			}
			c := MustBenchClient(b)
			status, resp, _ := benchPost(b, c, url, body)
			if status != 202 {
				b.Fatalf("first translation: status %d, want 202: %s", status, resp)
			}
			var acc accepted
			if err := json.Unmarshal(resp, &acc); err != nil {
				b.Fatal(err)
			}
			MustReadToDoneAs(b, m.HTTP.URL()+acc.StreamURL, MustAdminKey(b, m))
			st.reset()
			lat := make(durations, 0, 1024)
			cpu0 := processCPU()
			for b.Loop() {
				status, resp, d := benchPost(b, c, url, body)
				if status != 200 {
					b.Fatalf("status %d, want 200 from the memory: %.300s", status, resp)
				}
				lat = append(lat, d)
			}
			b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(len(lat)), "cpu-ms/op")
			lat.report(b, "")
			st.report(b)
		})
	}
}

// BenchmarkGeneration202 is the time to accept a 5-block page generation:
// validation, the job stored and queued, 202 with the stream URL. The
// brief's goal is < 20 ms. Every request names another business, so each
// is new work: "idle" waits for each page to be generated (untimed) before
// the next request, "back-to-back" sends the next at once while the
// earlier pages' blocks (an instant fake provider) write their events.
func BenchmarkGeneration202(b *testing.B) {
	for _, store := range benchStores {
		for _, wait := range []bool{true, false} {
			name := "store=" + store + "/idle"
			if !wait {
				name = "store=" + store + "/back-to-back"
			}
			b.Run(name, func(b *testing.B) { benchGeneration202(b, store, wait) })
		}
	}
}

func benchGeneration202(b *testing.B, store string, wait bool) {
	st := &serverTimes{route: "POST /v1/generations"}
	models, _ := MustFakeModels(b, providertest.Options{})
	m := MustRunMain(b, withBenchRates, withBenchStore(b, store), func(m *Main) { m.Logger = slog.New(st); m.Routed = models })
	url := m.HTTP.URL() + "/v1/generations"
	key := MustAdminKey(b, m)
	c := MustBenchClient(b)
	lat := make(durations, 0, 1024)
	i := 0
	for b.Loop() {
		body, _ := json.Marshal(map[string]any{
			"business": map[string]any{"name": fmt.Sprintf("Bakery %d", i), "industry": "bakery", "language": "en"},
			"blocks":   []string{"hero", "features", "testimonials", "faq", "cta"},
		})
		status, resp, d := benchPost(b, c, url, body)
		if status != 202 {
			b.Fatalf("status %d, want 202: %s", status, resp)
		}
		lat = append(lat, d)
		i++
		if wait {
			b.StopTimer()
			var acc accepted
			if err := json.Unmarshal(resp, &acc); err != nil {
				b.Fatal(err)
			}
			MustReadToDoneAs(b, m.HTTP.URL()+acc.StreamURL, key)
			b.StartTimer()
		}
	}
	lat.report(b, "")
	st.report(b)
}
