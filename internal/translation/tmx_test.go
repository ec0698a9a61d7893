package translation

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// pairs returns the entries as comparable tuples.
func pairs(entries []copydesk.TMEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.SourceLang + "|" + e.TargetLang + "|" + e.Source + "|" + e.Target
	}
	return out
}

func TestTMXRoundTrip(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	svc := &Service{Store: store}
	in := []copydesk.TMEntry{
		{CustomerID: "a", SourceLang: "en", TargetLang: "nl", Source: "Read <x1>the <x2>new</x2> guide</x1> at <x3/>.", Target: "Lees <x1>de <x2>nieuwe</x2> gids</x1> op <x3/>.", Context: "c1", Origin: copydesk.TMOriginModel, Model: "m"},
		{CustomerID: "a", SourceLang: "en", TargetLang: "de", Source: "Read <x1>the <x2>new</x2> guide</x1> at <x3/>.", Target: "Auf <x3/> <x1>den <x2>neuen</x2> Leitfaden</x1> lesen.", Context: "c1", Origin: copydesk.TMOriginModel},
		{CustomerID: "a", SourceLang: "en", TargetLang: "nl", Source: "Fish & chips < 5 \"euro\"", Target: "Vis & friet < 5 'euro'", Origin: copydesk.TMOriginImport},
		{CustomerID: "a", SourceLang: "nl", TargetLang: "fr", Source: "Hallo", Target: "Bonjour", Origin: copydesk.TMOriginImport},
	}
	if err := store.PutTM(ctx, in); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if err := svc.ExportTMX(ctx, copydesk.TMFilter{CustomerID: "a"}, &first); err != nil {
		t.Fatal(err)
	}
	doc := first.String()
	for _, want := range []string{`<tmx version="1.4">`, `srclang="*all*"`, `datatype="plaintext"`, `segtype="paragraph"`, `o-tmf="copydesk"`, `creationtool="copydesk"`,
		`<tuv xml:lang="en"><seg>Read <bpt i="1" x="1">&lt;x1&gt;</bpt>the <bpt i="2" x="2">&lt;x2&gt;</bpt>new<ept i="2">&lt;/x2&gt;</ept>`,
		`<ph x="3">&lt;x3/&gt;</ph>`, `<prop type="x-copydesk-context">c1</prop>`, `creationdate="20260301T120000Z"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %s:\n%s", want, doc)
		}
	}
	res, err := svc.ImportTMX(ctx, "b", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 4 || res.Skipped != 0 || !slices.Equal(res.Languages, []string{"de", "en", "fr", "nl"}) {
		t.Errorf("import result %+v", res)
	}
	imported, _ := store.ListTM(ctx, copydesk.TMFilter{CustomerID: "b"})
	if got, want := pairs(imported), pairs(in); !slices.Equal(got, want) {
		t.Errorf("imported:\ngot  %q\nwant %q", got, want)
	}
	for _, e := range imported {
		if e.Origin != copydesk.TMOriginImport || e.Context != "" {
			t.Errorf("imported entry %+v: want origin import, context \"\"", e)
		}
	}
	var second bytes.Buffer
	if err := svc.ExportTMX(ctx, copydesk.TMFilter{CustomerID: "b"}, &second); err != nil {
		t.Fatal(err)
	}
	again, _, err := readTMX(second.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pairs(again), pairs(in); !slices.Equal(got, want) {
		t.Errorf("second export:\ngot  %q\nwant %q", got, want)
	}
}

// A TMX file as other tools write it: lang attributes, region codes,
// inline codes with native markup, highlights, notes and props.
const foreignTMX = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
  <header creationtool="OtherTool" creationtoolversion="2" segtype="sentence" o-tmf="xliff" adminlang="en-US" srclang="en-US" datatype="html"/>
  <body>
    <tu tuid="1">
      <note>checked</note>
      <prop type="x-domain">web</prop>
      <tuv xml:lang="en-US"><seg>Click <bpt i="7">&lt;b&gt;</bpt>here<ept i="7">&lt;/b&gt;</ept> or <ph x="3">{0}</ph> <hi type="em">now</hi></seg></tuv>
      <tuv xml:lang="nl-NL"><seg><ph x="3">{0}</ph> of klik <bpt i="7">&lt;b&gt;</bpt>hier<ept i="7">&lt;/b&gt;</ept> nu</seg></tuv>
      <tuv lang="DE"><seg>Hier klicken</seg></tuv>
    </tu>
    <tu><tuv xml:lang="en"><seg>Only one language</seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>Empty target</seg></tuv><tuv xml:lang="fr"><seg>  </seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>Bad code</seg></tuv><tuv xml:lang="it"><seg>Codice <ph x="9"/></seg></tuv></tu>
  </body>
</tmx>`

func TestImportForeignTMX(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	svc := &Service{Store: store}
	res, err := svc.ImportTMX(ctx, "c", strings.NewReader(foreignTMX))
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 1 || res.Skipped != 3 || !slices.Equal(res.Languages, []string{"en", "nl"}) {
		t.Errorf("result %+v: want 1 entry (en→nl), 3 skipped (de loses codes, empty fr, invented it code)", res)
	}
	got, _ := store.ListTM(ctx, copydesk.TMFilter{CustomerID: "c"})
	want := []string{"en|nl|Click <x1>here</x1> or <x2/> now|<x2/> of klik <x1>hier</x1> nu"}
	if !slices.Equal(pairs(got), want) {
		t.Errorf("entries:\ngot  %q\nwant %q", pairs(got), want)
	}
}

func TestImportTMXErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		code, in  string
	}{
		{"not xml", "hello", copydesk.EINVALID, "TMX"},
		{"unclosed", "<tmx version=\"1.4\">\n<body>\n<tu><tuv xml:lang=\"en\"><seg>x</seg></tuv>\n", copydesk.EINVALID, "line"},
		{"mismatched", "<tmx>\n<body></tu></body></tmx>", copydesk.EINVALID, "line 2"},
		{"other root", "<xliff version=\"1.2\"></xliff>", copydesk.EINVALID, "<xliff>"},
		{"utf-16 declared", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><tmx/>", copydesk.EINVALID, "TMX"},
		{"too large", "<tmx>" + strings.Repeat(" ", MaxTMXBytes) + "</tmx>", copydesk.ETOOLARGE, "MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			svc := &Service{Store: store}
			_, err := svc.ImportTMX(context.Background(), "c", strings.NewReader(tt.doc))
			if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.in) {
				t.Errorf("got %v, want %s with %q", err, tt.code, tt.in)
			}
			if store.count() != 0 {
				t.Errorf("a refused import stored %d entries", store.count())
			}
		})
	}
	if _, err := (&Service{Store: newMemStore()}).ImportTMX(context.Background(), "", strings.NewReader(foreignTMX)); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("import without customer: got %v, want EINVALID", err)
	}
}

// TestImportedMemoryServes checks that imported entries are used by a
// translation (context "" matches any context).
func TestImportedMemoryServes(t *testing.T) {
	e := newEnv(t, true)
	doc := `<tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>Click <bpt i="1">&lt;a&gt;</bpt>here<ept i="1">&lt;/a&gt;</ept></seg></tuv><tuv xml:lang="nl"><seg>Klik <bpt i="1">&lt;a&gt;</bpt>hier<ept i="1">&lt;/a&gt;</ept></seg></tuv></tu></body></tmx>`
	if _, err := e.svc.ImportTMX(context.Background(), "cust-1", strings.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	resp, _, _ := e.MustTranslate(t, &Request{Content: `<p>Click <a href="/go">here</a></p>`, Format: "html", SourceLanguage: "en", TargetLanguages: []string{"nl"}})
	if resp.Status != "complete" || resp.Translations["nl"].Content != `<p>Klik <a href="/go">hier</a></p>` || e.fake.Calls() != 0 {
		t.Errorf("got %+v with %d calls, want the imported translation inline", resp.Translations["nl"], e.fake.Calls())
	}
}

func FuzzReadTMX(f *testing.F) {
	f.Add([]byte(foreignTMX))
	f.Add([]byte(`<tmx><body><tu><tuv lang="en"><seg>a<ph/>b</seg></tuv><tuv lang="nl"><seg>c<ph/></seg></tuv></tu></body></tmx>`))
	f.Add([]byte(`<tmx><body><tu><tuv xml:lang="en"><seg><bpt i="1"/>x</seg></tuv></tu>`))
	f.Add([]byte(nestedTMX(3)))
	f.Add([]byte(nestedTMX(maxTMXDepth)))
	f.Add([]byte(`<tmx><header>` + strings.Repeat("<a>", 100)))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, skipped, err := readTMX(data)
		if err != nil {
			if c := copydesk.ErrorCode(err); c != copydesk.EINVALID && c != copydesk.ETOOLARGE {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if skipped < 0 {
			t.Fatalf("skipped %d", skipped)
		}
		for _, e := range entries {
			if e.Source == "" || e.Target == "" || e.SourceLang == e.TargetLang || checkPlaceholders(e.Source, e.Target) != "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
		// What was read writes and reads back to the same entries.
		var buf bytes.Buffer
		if err := writeTMX(&buf, entries); err != nil {
			t.Fatal(err)
		}
		again, _, err := readTMX(buf.Bytes())
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, buf.String())
		}
		if !slices.Equal(pairs(again), pairs(entries)) {
			t.Fatalf("re-read:\ngot  %q\nwant %q", pairs(again), pairs(entries))
		}
	})
}
