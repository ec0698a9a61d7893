package generation

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Fresh bread", "Fresh bread"},
		{"script and its content", "<script>alert(1)</script>Hello", "Hello"},
		{"uppercase script", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>Hi", "Hi"},
		{"style content", "<style>body{display:none}</style>Hi", "Hi"},
		{"img onerror", `<img src=x onerror=alert(1)>Hi`, "Hi"},
		{"attribute breakout", `Hi "><svg onload=alert(1)>`, `Hi ">`},
		{"tags kept as text", "<b>bold</b> and <i>italic</i>", "bold and italic"},
		{"entity decoded once", "Bread &amp; butter", "Bread & butter"},
		{"plain ampersand", "Bread & butter", "Bread & butter"},
		{"less than stays text", "a < b and c > d", "a < b and c > d"},
		{"escaped script is unwrapped and removed", "&lt;script&gt;alert(1)&lt;/script&gt;Hi", "Hi"},
		{"doubly escaped script", "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Hi", "Hi"},
		{"numeric entities", "&#60;img src=x onerror=alert(1)&#62;Hi", "Hi"},
		{"quote entity", "&quot;quoted&quot;", `"quoted"`},
		{"white space collapsed", "  two\n\nlines\there  ", "two lines here"},
		{"control characters dropped", "a\x00b\x1bc\u202ed", "abcd"},
		{"invalid utf-8 dropped", "caf\xc3", "caf"},
		{"unicode kept", "Crème brûlée — €4,50", "Crème brûlée — €4,50"},
		{"comment removed", "Hi<!-- <script>x</script> -->!", "Hi!"},
		{"unclosed tag", "Hi <script", "Hi"},
		{"markdown kept as text, scheme broken", "**bold** [x](javascript:alert(1))", "**bold** [x](javascript :alert(1))"},
		{"script scheme in text", "Try JaVaScRiPt:alert(1) or vbscript\t:x", "Try JaVaScRiPt :alert(1) or vbscript :x"},
		{"escaped scheme in text", "&#106;avascript:alert(1)", "javascript :alert(1)"},
		{"soft hyphen in a scheme", "javascript\u00ad:alert(1)", "javascript :alert(1)"},
		{"joiner in a scheme", "java\u200dscript:alert(1)", "javascript :alert(1)"},
		{"joiners between every letter", "v\u00adb\u200ds\u00adcript\u00ad :x", "vbscript :x"},
		{"escaped soft hyphen in a scheme", "java&shy;script:alert(1)", "javascript :alert(1)"},
		{"escaped zero-width space dropped", "a&#x200b;b", "ab"},
		{"soft hyphen and emoji joiner kept", "Bak\u00adkerij \U0001F468\u200d\U0001F373", "Bak\u00adkerij \U0001F468\u200d\U0001F373"},
		{"ordinary colons", "Big data: the future. Note: open 8:00", "Big data: the future. Note: open 8:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := plainText(tt.in)
			if got != tt.want {
				t.Errorf("plainText(%q): got %q, want %q", tt.in, got, tt.want)
			}
			if again := plainText(got); again != got {
				t.Errorf("plainText is not idempotent: %q, then %q", got, again)
			}
		})
	}
}

func TestPlainTextManyLayers(t *testing.T) {
	s := "<script>alert(1)</script>"
	for range 12 {
		s = strings.ReplaceAll(s, "&", "&amp;")
		s = strings.ReplaceAll(s, "<", "&lt;")
		s = strings.ReplaceAll(s, ">", "&gt;")
	}
	got := plainText(s)
	if strings.ContainsAny(got, "<>") {
		t.Errorf("got %q, want no angle brackets left", got)
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/contact", "https://example.com/contact"},
		{"http://example.com", "http://example.com"},
		{"HTTPS://Example.com/a?b=c&d=e#f", "HTTPS://Example.com/a?b=c&d=e#f"},
		{"https://example.com/a?b=1&amp;c=2", "https://example.com/a?b=1&c=2"},
		{"mailto:info@example.com", "mailto:info@example.com"},
		{"tel:+31301234567", "tel:+31301234567"},
		{"tel:+31(0)301234567", "tel:+31301234567"},
		{"java\u00adscript:alert(1)", "#"},
		{"java\u200dscript:alert(1)", "#"},
		{"https://exa\u00admple.com/", "#"},
		{"/contact", "/contact"},
		{"/prices?plan=basic", "/prices?plan=basic"},
		{"contact.html", "contact.html"},
		{"#contact", "#contact"},
		{"  /contact  ", "/contact"},
		{"javascript:alert(1)", "#"},
		{"JaVaScRiPt:alert(1)", "#"},
		{" javascript:alert(1)", "#"},
		{"\x01javascript:alert(1)", "#"},
		{"java\tscript:alert(1)", "#"},
		{"java\nscript:alert(1)", "#"},
		{"&#106;avascript:alert(1)", "#"},
		{"&#x6A;avascript:alert(1)", "#"},
		{"&#0000106&#0000097vascript:alert(1)", "#"},
		{"javascript&colon;alert(1)", "#"},
		{"&amp;#106;avascript:alert(1)", "#"},
		{"jav&#x09;ascript:alert(1)", "#"},
		{"\u200bjavascript:alert(1)", "#"},
		{"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "#"},
		{"vbscript:msgbox(1)", "#"},
		{"VBScript:msgbox(1)", "#"},
		{"//evil.example/x", "#"},
		{`/\evil.example`, "#"},
		{"https://user:pass@example.com/", "#"},
		{"https:///nohost", "#"},
		{"mailto:not an address", "#"},
		{"mailto:a@b.nl?subject=<script>", "#"},
		{"tel:call-me", "#"},
		{`/a"onmouseover="alert(1)`, "#"},
		{"/a'b", "#"},
		{"/a<b>", "#"},
		{"[simulated] cta_url", "#"},
		{"", "#"},
		{"ftp://example.com/", "#"},
		{"file:///etc/passwd", "#"},
		{"about:blank", "#"},
		{"https://example.com/?next=javascript:alert(1)", "#"},
		{"/login?next=JavaScript:alert(1)", "#"},
	}
	for _, tt := range tests {
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeContactFields(t *testing.T) {
	if got := safeEmail("<b>info@example.com</b>"); got != "info@example.com" {
		t.Errorf("got email %q, want info@example.com", got)
	}
	if got := safeEmail("javascript:alert(1)//@x.com"); got != "" {
		t.Errorf("got email %q, want empty", got)
	}
	if got := safePhone("+31 (0)30 123 45 67"); got != "+31 (0)30 123 45 67" {
		t.Errorf("got phone %q", got)
	}
	for _, tt := range []struct{ in, want string }{
		{"+31 (0)30 123 45 67", "tel:+31301234567"},
		{"+31(0)301234567", "tel:+31301234567"},
		{"+44 (0) 20 7946 0018", "tel:+442079460018"},
		{"030 123 45 67", "tel:0301234567"},
		{"(030) 123 45 67", "tel:0301234567"},
		{"+1 (555) 010-4477", "tel:+15550104477"},
	} {
		if got := telURL(tt.in); got != tt.want {
			t.Errorf("telURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := safePhone("call <script>alert(1)</script>"); got != "" {
		t.Errorf("got phone %q, want empty", got)
	}
}
