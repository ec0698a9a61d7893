package budget

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// usageHeader is the first line of WriteUsageCSV's output.
var usageHeader = []string{"day", "customer_id", "user_id", "model", "kind", "calls", "cache_hits",
	"input_tokens", "output_tokens", "cached_tokens", "cost_micros", "saved_micros", "key_id"}

// WriteUsageCSV writes report as CSV: a header, one line per row, and a last
// line "total" with the totals. Money is in integer micro-units of the
// configured currency (exact; divide by 1,000,000 for the amount). Text
// fields that a spreadsheet would run as a formula (starting with = + - @,
// tab or carriage return) are prefixed with a single quote.
func WriteUsageCSV(w io.Writer, report *copydesk.UsageReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(usageHeader); err != nil {
		return err
	}
	line := func(r copydesk.UsageRow) []string {
		return []string{cell(r.Day), cell(r.CustomerID), cell(r.UserID), cell(r.Model), cell(r.Kind),
			itoa(r.Calls), itoa(r.CacheHits), itoa(r.InputTokens), itoa(r.OutputTokens), itoa(r.CachedTokens),
			itoa(int64(r.Cost)), itoa(int64(r.Saved)), cell(r.KeyID)}
	}
	if report != nil {
		for _, r := range report.Rows {
			if err := cw.Write(line(r)); err != nil {
				return err
			}
		}
		total := report.Totals
		total.Day = "total"
		if err := cw.Write(line(total)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cell neutralizes spreadsheet formulas in a text cell.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
