package cache

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Tiers lists the four cache tiers, longest-lived first.
var Tiers = []copydesk.Tier{copydesk.TierPermanent, copydesk.TierStable, copydesk.TierDynamic, copydesk.TierRealtime}

// The bounds of the realtime tier's TTL, from the plan.
const (
	RealtimeMinTTL = 5 * time.Minute
	RealtimeMaxTTL = 15 * time.Minute
)

// TierConfig maps a task kind to its cache tier. A kind without an entry of its
// own uses the entry of its longest dotted prefix: "analysis.tone" falls back
// to "analysis".
type TierConfig map[string]copydesk.Tier

// DefaultTiers returns the plan's choices: finished analyses and published
// translations are permanent, block and page templates stable, SEO, draft
// translations and improvements dynamic, live generation, suggestions and chat
// realtime.
func DefaultTiers() TierConfig {
	return TierConfig{
		"analysis":              copydesk.TierPermanent,
		"translation":           copydesk.TierDynamic, // unspecified: treat as a draft
		"translation.published": copydesk.TierPermanent,
		"translation.draft":     copydesk.TierDynamic,
		"generation":            copydesk.TierStable,
		"generation.block":      copydesk.TierStable,
		"generation.page":       copydesk.TierStable,
		"generation.live":       copydesk.TierRealtime,
		"seo":                   copydesk.TierDynamic,
		"improvement":           copydesk.TierDynamic,
		"suggestion":            copydesk.TierRealtime,
		"chat":                  copydesk.TierRealtime,
		"embedding":             copydesk.TierPermanent, // a text's vector never changes for a model
	}
}

// Tier returns the tier configured for kind. Returns EINVALID if neither the
// kind nor any dotted prefix of it is configured.
func (tc TierConfig) Tier(kind string) (copydesk.Tier, error) {
	for k := kind; k != ""; {
		if t, ok := tc[k]; ok {
			return t, nil
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return "", copydesk.Errorf(copydesk.EINVALID, "no cache tier is configured for task kind %q; add it to the cache tier configuration", kind)
}

// validate checks that every configured tier is one of the four.
func (tc TierConfig) validate() error {
	for _, kind := range slices.Sorted(maps.Keys(tc)) {
		if !validTier(tc[kind]) {
			return copydesk.Errorf(copydesk.EINVALID, "cache tier %q of task kind %q is not one of permanent, stable, dynamic, realtime", tc[kind], kind)
		}
	}
	return nil
}

// TTLs overrides the default time to live of some tiers.
type TTLs map[copydesk.Tier]time.Duration

// TTL returns the tier's TTL: the override if set, else the plan's default.
func (t TTLs) TTL(tier copydesk.Tier) time.Duration {
	if d, ok := t[tier]; ok && d > 0 {
		return d
	}
	return tier.TTL()
}

// validate checks the overrides: known tiers, positive durations, and a
// realtime TTL within 5 to 15 minutes.
func (t TTLs) validate() error {
	for _, tier := range slices.Sorted(maps.Keys(t)) {
		d := t[tier]
		switch {
		case !validTier(tier):
			return copydesk.Errorf(copydesk.EINVALID, "TTL override for unknown cache tier %q; use permanent, stable, dynamic or realtime", tier)
		case d <= 0:
			return copydesk.Errorf(copydesk.EINVALID, "TTL of cache tier %q must be positive, got %s", tier, d)
		case tier == copydesk.TierRealtime && (d < RealtimeMinTTL || d > RealtimeMaxTTL):
			return copydesk.Errorf(copydesk.EINVALID, "TTL of cache tier realtime must be between %s and %s, got %s", RealtimeMinTTL, RealtimeMaxTTL, d)
		}
	}
	return nil
}

func validTier(t copydesk.Tier) bool { return tierIndex(t) >= 0 }

// tierIndex returns the position of t in Tiers, or -1.
func tierIndex(t copydesk.Tier) int {
	switch t {
	case copydesk.TierPermanent:
		return 0
	case copydesk.TierStable:
		return 1
	case copydesk.TierDynamic:
		return 2
	case copydesk.TierRealtime:
		return 3
	}
	return -1
}
