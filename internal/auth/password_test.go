package auth

import (
	"strings"
	"testing"
)

var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash: got %q, want PHC argon2id", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatalf("hash contains the password")
	}
	h2, _ := HashPassword("correct horse battery", cheap)
	if h2 == h {
		t.Errorf("two hashes of one password are equal: salt missing")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}, {strings.Repeat("x", MaxPasswordLen+1), false}} {
		ok, err := VerifyPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("VerifyPassword(%.20q): got %v, %v, want %v", tt.pw, ok, err, tt.want)
		}
	}
	if !NeedsRehash(h, DefaultPasswordParams) || NeedsRehash(h, cheap) {
		t.Errorf("NeedsRehash: want true against the defaults, false against its own parameters")
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, pw string
		ok       bool
	}{
		{"Short", "123456789", false},
		{"MinLength", "1234567890", true},
		{"TooLong", strings.Repeat("a", MaxPasswordLen+1), false},
		{"InvalidUTF8", "abcdefghij\xff", false},
	} {
		err := ValidatePassword(tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), tt.pw) {
			t.Errorf("%s: error %q contains the password", tt.name, err)
		}
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	good, _ := HashPassword("correct horse battery", cheap)
	parts := strings.Split(good, "$")
	for _, tt := range []struct{ name, hash string }{
		{"Empty", ""},
		{"Bcrypt", "$2a$10$abcdefghijklmnopqrstuu5xKXhB2n6Jk8nJ1tW6H9mVYp3K1QY1e"},
		{"Argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"OldVersion", strings.Replace(good, "v=19", "v=16", 1)},
		{"HugeMemory", strings.Join([]string{"", parts[1], parts[2], "m=4194304,t=1,p=1", parts[4], parts[5]}, "$")},
		{"ZeroTime", strings.Join([]string{"", parts[1], parts[2], "m=64,t=0,p=1", parts[4], parts[5]}, "$")},
		{"LeadingZero", strings.Join([]string{"", parts[1], parts[2], "m=064,t=1,p=1", parts[4], parts[5]}, "$")},
		{"BadSalt", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$")},
		{"ShortHash", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$")},
	} {
		if ok, err := VerifyPassword(tt.hash, "correct horse battery"); ok || err == nil {
			t.Errorf("%s: got %v, %v, want false and an error", tt.name, ok, err)
		}
	}
}

func TestDefaultPasswordParams(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("got %q, want OWASP parameters m=19456,t=2,p=1", h)
	}
	if ok, _ := VerifyPassword(h, "correct horse battery"); !ok {
		t.Errorf("VerifyPassword: got false, want true")
	}
}

func FuzzParsePasswordHash(f *testing.F) {
	good, _ := HashPassword("correct horse battery", cheap)
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, sum, ok := parsePasswordHash(s)
		if !ok {
			return
		}
		if p.Memory > maxMemory || p.Time > maxTime || p.Threads > maxThreads || p.Threads == 0 || len(salt) < 8 || len(sum) < 16 {
			t.Errorf("parsePasswordHash(%q) accepted out-of-bounds parameters %+v", s, p)
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery", DefaultPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashSecret(b *testing.B) {
	key, _, _ := NewAPIKey()
	for b.Loop() {
		HashSecret(key)
	}
}
