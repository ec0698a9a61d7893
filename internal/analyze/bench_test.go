package analyze

import "testing"

// BenchmarkAnalyzeHTML1000Words runs all six analyses of a realistic
// 1,000-word HTML page with a keyphrase: parsing included.
func BenchmarkAnalyzeHTML1000Words(b *testing.B) {
	in := MustCorpus(b, "en-cold-brew.html")
	r, err := Analyze(in)
	if err != nil {
		b.Fatal(err)
	}
	if r.Words < 950 || r.Words > 1100 {
		b.Fatalf("page has %d words, want about 1,000", r.Words)
	}
	b.SetBytes(int64(len(in.Content)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := Analyze(in); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process CPU time per operation since start, a
// figure that holds on a shared machine (run with -cpu 1 so it is one
// core's work; it includes the garbage collector's share).
func reportCPU(b *testing.B, start int64) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkParseHTML1000Words measures parsing and tokenizing alone.
func BenchmarkParseHTML1000Words(b *testing.B) {
	in := MustCorpus(b, "en-cold-brew.html")
	b.SetBytes(int64(len(in.Content)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkRun measures each analysis on the parsed 1,000-word page.
func BenchmarkRun(b *testing.B) {
	d := MustParse(b, MustCorpus(b, "en-cold-brew.html"))
	for _, t := range AllTypes {
		b.Run(string(t), func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				Run(d, t)
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkParseMarkdown measures the Markdown path.
func BenchmarkParseMarkdown(b *testing.B) {
	in := MustCorpus(b, "en-landing.md")
	b.SetBytes(int64(len(in.Content)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
