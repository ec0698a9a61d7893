package auth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/auth"
)

func TestNewAPIKey(t *testing.T) {
	t.Parallel()
	key, prefix, hash := auth.NewAPIKey()
	if !strings.HasPrefix(key, prefix+"_") || len(prefix) != len("cdk_")+12 {
		t.Errorf("key %q, prefix %q: want cdk_<12 hex>_<secret> starting with the prefix", key[:len(prefix)], prefix)
	}
	if got, ok := auth.ParseAPIKey(key); !ok || got != prefix {
		t.Errorf("ParseAPIKey(new key): got %q, %v, want %q, true", got, ok, prefix)
	}
	if !bytes.Equal(hash, auth.HashSecret(key)) || len(hash) != 32 {
		t.Errorf("hash: got %x, want SHA-256 of the key", hash)
	}
	key2, prefix2, _ := auth.NewAPIKey()
	if key2 == key || prefix2 == prefix {
		t.Errorf("two keys are equal: got %q twice", prefix)
	}
}

func TestParseAPIKey(t *testing.T) {
	t.Parallel()
	good, prefix, _ := auth.NewAPIKey()
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"Good", good, true},
		{"Empty", "", false},
		{"WrongScheme", "sk-" + good[3:], false},
		{"Short", good[:len(good)-1], false},
		{"Long", good + "A", false},
		{"UpperHexPrefix", "cdk_" + strings.ToUpper(good[4:16]) + good[16:], strings.ToUpper(good[4:16]) == good[4:16]},
		{"NoSeparator", good[:16] + "x" + good[17:], false},
		{"BadSecretChar", good[:20] + "!" + good[21:], false},
	}
	for _, tt := range tests {
		got, ok := auth.ParseAPIKey(tt.key)
		if ok != tt.ok || (ok && got != prefix) {
			t.Errorf("%s: got %q, %v, want ok=%v", tt.name, got, ok, tt.ok)
		}
	}
}

func FuzzParseAPIKey(f *testing.F) {
	good, _, _ := auth.NewAPIKey()
	f.Add(good)
	f.Add("cdk_")
	f.Add("cdk_000000000000_")
	f.Fuzz(func(t *testing.T, s string) {
		prefix, ok := auth.ParseAPIKey(s)
		if ok && (!strings.HasPrefix(s, prefix+"_") || len(prefix) != 16) {
			t.Errorf("ParseAPIKey(%q) = %q, true: prefix is not the key's start", s, prefix)
		}
	})
}
