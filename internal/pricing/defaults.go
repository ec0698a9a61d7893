package pricing

import (
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Sources of the default prices.
const (
	SourceOpenAI    = "https://platform.openai.com/docs/pricing"
	SourceAnthropic = "https://platform.claude.com/docs/en/about-claude/pricing"
	SourceGemini    = "https://ai.google.dev/gemini-api/docs/pricing"
)

// date returns midnight UTC of the day.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// DefaultPrices returns the built-in price table: standard (not batch,
// not priority) text prices per million tokens in US dollars, as checked on
// 2026-11-26. Effective is the model's release date at that price; a
// configuration can add later prices for the same model with a later
// Effective.
//
// How each row was checked:
//   - claude-opus-4, claude-sonnet-4, claude-haiku-4-5, claude-3-5-haiku:
//     Anthropic's pricing page (platform.claude.com), which lists base input,
//     cache hits and output per model. Cache writes (1.25x input for 5 min)
//     are not modelled: Usage has no cache-write count.
//   - gpt-5-mini, gpt-5-nano: OpenAI's model pages (developers.openai.com).
//   - gpt-5, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-4o, gpt-4o-mini:
//     OpenAI's pricing page as quoted by several independent price tables
//     that agree; not read on openai.com itself.
//   - gemini-2.5-pro (with its >200k-token tier), gemini-2.5-flash,
//     gemini-2.5-flash-lite: Google's pricing page as quoted by independent
//     tables; not read on ai.google.dev itself. Text/image/video input
//     prices; audio input is dearer and not modelled.
func DefaultPrices() []Price {
	m := func(dollars, microDollars int64) copydesk.Micros {
		return copydesk.Micros(dollars*1_000_000 + microDollars)
	}
	return []Price{
		// OpenAI.
		{Model: "gpt-5", InputPerMTok: m(1, 250_000), CachedInputPerMTok: m(0, 125_000), OutputPerMTok: m(10, 0), Effective: date(2025, 8, 7), Source: SourceOpenAI},
		{Model: "gpt-5-mini", InputPerMTok: m(0, 250_000), CachedInputPerMTok: m(0, 25_000), OutputPerMTok: m(2, 0), Effective: date(2025, 8, 7), Source: "https://developers.openai.com/api/docs/models/gpt-5-mini"},
		{Model: "gpt-5-nano", InputPerMTok: m(0, 50_000), CachedInputPerMTok: m(0, 5_000), OutputPerMTok: m(0, 400_000), Effective: date(2025, 8, 7), Source: "https://developers.openai.com/api/docs/models/gpt-5-nano"},
		{Model: "gpt-4.1", InputPerMTok: m(2, 0), CachedInputPerMTok: m(0, 500_000), OutputPerMTok: m(8, 0), Effective: date(2025, 4, 14), Source: SourceOpenAI},
		{Model: "gpt-4.1-mini", InputPerMTok: m(0, 400_000), CachedInputPerMTok: m(0, 100_000), OutputPerMTok: m(1, 600_000), Effective: date(2025, 4, 14), Source: SourceOpenAI},
		{Model: "gpt-4.1-nano", InputPerMTok: m(0, 100_000), CachedInputPerMTok: m(0, 25_000), OutputPerMTok: m(0, 400_000), Effective: date(2025, 4, 14), Source: SourceOpenAI},
		{Model: "gpt-4o", InputPerMTok: m(2, 500_000), CachedInputPerMTok: m(1, 250_000), OutputPerMTok: m(10, 0), Effective: date(2024, 10, 2), Source: SourceOpenAI},
		{Model: "gpt-4o-mini", InputPerMTok: m(0, 150_000), CachedInputPerMTok: m(0, 75_000), OutputPerMTok: m(0, 600_000), Effective: date(2024, 7, 18), Source: SourceOpenAI},

		// Anthropic.
		{Model: "claude-opus-4", InputPerMTok: m(15, 0), CachedInputPerMTok: m(1, 500_000), OutputPerMTok: m(75, 0), Effective: date(2025, 5, 22), Source: SourceAnthropic},
		{Model: "claude-sonnet-4", InputPerMTok: m(3, 0), CachedInputPerMTok: m(0, 300_000), OutputPerMTok: m(15, 0), Effective: date(2025, 5, 22), Source: SourceAnthropic},
		{Model: "claude-haiku-4-5", InputPerMTok: m(1, 0), CachedInputPerMTok: m(0, 100_000), OutputPerMTok: m(5, 0), Effective: date(2025, 10, 15), Source: SourceAnthropic},
		{Model: "claude-3-5-haiku", InputPerMTok: m(0, 800_000), CachedInputPerMTok: m(0, 80_000), OutputPerMTok: m(4, 0), Effective: date(2024, 11, 4), Source: SourceAnthropic},

		// Google Gemini.
		{Model: "gemini-2.5-pro", InputPerMTok: m(1, 250_000), CachedInputPerMTok: m(0, 125_000), OutputPerMTok: m(10, 0),
			LongContextThreshold: 200_000, LongInputPerMTok: m(2, 500_000), LongCachedInputPerMTok: m(0, 250_000), LongOutputPerMTok: m(15, 0),
			Effective: date(2025, 6, 17), Source: SourceGemini},
		{Model: "gemini-2.5-flash", InputPerMTok: m(0, 300_000), CachedInputPerMTok: m(0, 30_000), OutputPerMTok: m(2, 500_000), Effective: date(2025, 6, 17), Source: SourceGemini},
		{Model: "gemini-2.5-flash-lite", InputPerMTok: m(0, 100_000), CachedInputPerMTok: m(0, 10_000), OutputPerMTok: m(0, 400_000), Effective: date(2025, 7, 22), Source: SourceGemini},
	}
}
