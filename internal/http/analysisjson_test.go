package http

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/quick"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func checkAnalysisAnswerJSON(t *testing.T, a analysisAnswer) {
	t.Helper()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(a); err != nil {
		t.Fatal(err)
	}
	got, err := a.appendJSON([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte("x"), want.Bytes()...)) {
		t.Fatalf("\ngot  %q\nwant %q", got[1:], want.Bytes())
	}
}

// TestAnalysisAnswerJSON compares the answer of POST /v1/analyses with
// what encoding/json's Encoder wrote for it: edge cases, hostile strings
// and reports, and random answers (testing/quick fills every field, so a
// field added to the answer and not to its encoder fails).
func TestAnalysisAnswerJSON(t *testing.T) {
	report := json.RawMessage(`{"findings": [{"message": "a <b>long</b> & \u2028 sentence"}], "figures":{"words":12} }`)
	cases := []analysisAnswer{
		{},
		{AnalysisResponse: &copydesk.AnalysisResponse{}},
		{AnalysisResponse: &copydesk.AnalysisResponse{Status: "complete", Report: report, ResultKey: "ab12", Cached: true}, ResultURL: "/v1/analyses/ab12"},
		{AnalysisResponse: &copydesk.AnalysisResponse{Status: "pending", Report: report, Pending: []string{"grammar", "tone"}, JobID: "job_1"},
			optionalJobLinks: optionalLinksOf("job_1")},
		{AnalysisResponse: &copydesk.AnalysisResponse{Status: "complete", Report: json.RawMessage("\"\xe2\x80\xa9 \xff\""), DeepCached: true, Pending: []string{}}},
		{ResultURL: "<x>", optionalJobLinks: optionalJobLinks{StreamURL: "&"}},
	}
	for _, s := range []string{"<script>alert(1)</script> & more", "quote\" back\\ \u2028\u2029\x00\x1f", "\xff\xfe invalid"} {
		cases = append(cases, analysisAnswer{AnalysisResponse: &copydesk.AnalysisResponse{Status: s, Report: json.RawMessage(`"` + "x" + `"`), ResultKey: s, Pending: []string{s}, JobID: s},
			ResultURL: s, optionalJobLinks: optionalJobLinks{JobURL: s, StreamURL: s}})
	}
	for _, a := range cases {
		checkAnalysisAnswerJSON(t, a)
	}
	if _, err := (analysisAnswer{AnalysisResponse: &copydesk.AnalysisResponse{Report: json.RawMessage(`{"a":`)}}).appendJSON(nil); err == nil {
		t.Error("an invalid report was written")
	}

	// quick cannot set the embedded links (unexported): it makes the
	// service's answer and three strings.
	cfg := &quick.Config{MaxCount: 300}
	check := func(r *copydesk.AnalysisResponse, resultURL, jobURL, streamURL string) bool {
		if r != nil {
			r.Report = report // a report is JSON; quick's bytes are not
		}
		checkAnalysisAnswerJSON(t, analysisAnswer{AnalysisResponse: r, ResultURL: resultURL,
			optionalJobLinks: optionalJobLinks{JobURL: jobURL, StreamURL: streamURL}})
		return true
	}
	if err := quick.Check(check, cfg); err != nil {
		t.Fatal(err)
	}
}
