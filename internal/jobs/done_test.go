package jobs

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestDoneData compares a done event's data with what encoding/json
// writes for the map the service encoded before: the same bytes, HTML
// escaping and compaction of the result included; an invalid result is
// refused.
func TestDoneData(t *testing.T) {
	for _, tc := range []struct {
		status copydesk.JobStatus
		result string
		jerr   *copydesk.JobError
	}{
		{copydesk.JobSucceeded, `{"findings":[{"message":"a <b>bold</b> & \u2028 claim"}], "score": 0.5 }`, nil},
		{copydesk.JobSucceeded, "\"\xe2\x80\xa8 raw separator \xff\"", nil},
		{copydesk.JobPartial, `[1,2]`, &copydesk.JobError{Code: copydesk.EUNAVAILABLE, Message: `the <provider> "x" & co failed`}},
		{copydesk.JobFailed, ``, &copydesk.JobError{Code: copydesk.EINTERNAL, Message: "internal error"}},
		{copydesk.JobCancelled, ``, nil},
	} {
		got, err := doneData(tc.status, json.RawMessage(tc.result), tc.jerr)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.status, tc.result, err)
		}
		m := map[string]any{"status": tc.status}
		if tc.jerr != nil {
			m["error"] = tc.jerr
		}
		if tc.result != "" {
			m["result"] = json.RawMessage(tc.result)
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("doneData(%s, %s) = %s, want %s", tc.status, tc.result, got, want)
		}
	}
	if _, err := doneData(copydesk.JobSucceeded, json.RawMessage(`{"a":`), nil); err == nil {
		t.Error("an invalid result gave a done event")
	}
}
