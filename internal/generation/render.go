package generation

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// HTML of a block: html/template escapes every value for its context; the
// block's values are already plain text and safe URLs, and the rendered
// HTML passes a bluemonday UGC policy as a last guard.

var htmlTemplates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("blocks").Funcs(template.FuncMap{
		// link marks a value that passed safeURL as a URL html/template may
		// put in href as it is (its own filter knows no tel:); anything else
		// is "#".
		"link": func(v any) template.URL {
			s, _ := v.(string)
			return template.URL(safeURL(s))
		},
		"mailto": func(v any) template.URL {
			s, _ := v.(string)
			if safeEmail(s) == "" {
				return "#"
			}
			return template.URL("mailto:" + s)
		},
		"tel": func(v any) template.URL {
			s, _ := v.(string)
			if safePhone(s) == "" {
				return "#"
			}
			return template.URL(telURL(s))
		},
	}).Parse(`
{{define "hero"}}<section class="cd-block cd-hero"><h1>{{.headline}}</h1><p>{{.subheadline}}</p><p><a href="{{link .cta_url}}">{{.cta_label}}</a></p></section>{{end}}
{{define "features"}}<section class="cd-block cd-features"><h2>{{.title}}</h2><ul>{{range .items}}<li><h3>{{.title}}</h3><p>{{.description}}</p></li>{{end}}</ul></section>{{end}}
{{define "about"}}<section class="cd-block cd-about"><h2>{{.title}}</h2><p>{{.text}}</p><ul>{{range .highlights}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
{{define "services"}}<section class="cd-block cd-services"><h2>{{.title}}</h2><p>{{.intro}}</p><ul>{{range .items}}<li><h3>{{.name}}</h3><p>{{.description}}</p></li>{{end}}</ul></section>{{end}}
{{define "testimonials"}}<section class="cd-block cd-testimonials"><h2>{{.title}}</h2>{{range .items}}<figure><blockquote><p>{{.quote}}</p></blockquote><figcaption>{{.author}}, {{.role}}</figcaption></figure>{{end}}</section>{{end}}
{{define "faq"}}<section class="cd-block cd-faq"><h2>{{.title}}</h2><dl>{{range .items}}<dt>{{.question}}</dt><dd>{{.answer}}</dd>{{end}}</dl></section>{{end}}
{{define "cta"}}<section class="cd-block cd-cta"><h2>{{.headline}}</h2><p>{{.text}}</p><p><a href="{{link .button_url}}">{{.button_label}}</a></p></section>{{end}}
{{define "pricing"}}<section class="cd-block cd-pricing"><h2>{{.title}}</h2><ul>{{range .plans}}<li><h3>{{.name}}</h3><p><strong>{{.price}}</strong> {{.period}}</p><ul>{{range .features}}<li>{{.}}</li>{{end}}</ul><p><a href="{{link .cta_url}}">{{.cta_label}}</a></p></li>{{end}}</ul></section>{{end}}
{{define "contact"}}<section class="cd-block cd-contact"><h2>{{.title}}</h2><p>{{.text}}</p>{{if or .email .phone .address}}<ul>{{if .email}}<li><a href="{{mailto .email}}">{{.email}}</a></li>{{end}}{{if .phone}}<li><a href="{{tel .phone}}">{{.phone}}</a></li>{{end}}{{if .address}}<li>{{.address}}</li>{{end}}</ul>{{end}}</section>{{end}}
`))
})

// guard is the last line: the UGC policy (no scripts, no event handlers,
// standard URL schemes) plus tel: links and the cd-* classes of the
// templates. Relative links keep no rel; links to other hosts get
// rel="nofollow".
var guard = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https", "tel")
	p.RequireNoFollowOnLinks(false)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^cd-[a-z]+( cd-[a-z]+)*$`)).OnElements("section", "article")
	p.AllowElements("figcaption", "dl", "dt", "dd")
	return p
})

// renderHTML renders a sanitized block as an HTML section.
func renderHTML(b *block) (string, error) {
	var buf bytes.Buffer
	if err := htmlTemplates().ExecuteTemplate(&buf, b.Type, b.Data); err != nil {
		return "", fmt.Errorf("render %s block: %w", b.Type, err)
	}
	return guard().Sanitize(buf.String()), nil
}

// pageHTML joins the blocks' sections into the page, through the guard.
func pageHTML(sections []string) string {
	return guard().Sanitize(strings.Join(sections, "\n"))
}

// Markdown of a block: every value is escaped so that it reads as text,
// never as Markdown syntax or raw HTML, and links are written as
// [label](<url>) with a URL that passed safeURL (no spaces, no angle
// brackets, no backslashes).

// mdSpecial are escaped wherever they appear: emphasis, code, links,
// raw HTML and entities, tables, strike-through, headings (also a
// closing #), and the escape itself.
const mdSpecial = "\\`*_[]<>&~|#"

// mdLineStart matches what starts a block construct at the beginning of a
// line: headings, lists, quotes, setext underlines, thematic breaks.
var mdLineStart = regexp.MustCompile(`^(\d{1,9})([.)])`)

// md escapes a plain-text value for Markdown, on one line.
func md(v any) string {
	s, _ := v.(string)
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune(mdSpecial, r) || (i == 0 && strings.ContainsRune("+-=", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if m := mdLineStart.FindStringSubmatchIndex(out); m != nil {
		out = out[:m[4]] + `\` + out[m[4]:]
	}
	return out
}

// mdLink writes a link whose target passed safeURL.
func mdLink(label any, target string) string {
	if target == "" {
		target = "#"
	}
	return "[" + md(label) + "](<" + target + ">)"
}

func str0(v any) string { s, _ := v.(string); return s }

func items(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// renderMarkdown renders a sanitized block as Markdown.
func renderMarkdown(b *block) string {
	d := b.Data
	var w strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			w.WriteString(p)
		}
		w.WriteString("\n")
	}
	switch b.Type {
	case "hero":
		line("# ", md(d["headline"]))
		line()
		line(md(d["subheadline"]))
		line()
		line(mdLink(d["cta_label"], safeURL(str0(d["cta_url"]))))
	case "features":
		line("## ", md(d["title"]))
		line()
		for _, it := range items(d["items"]) {
			line("- **", md(it["title"]), "**: ", md(it["description"]))
		}
	case "about":
		line("## ", md(d["title"]))
		line()
		line(md(d["text"]))
		line()
		for _, h := range strs(d["highlights"]) {
			line("- ", md(h))
		}
	case "services":
		line("## ", md(d["title"]))
		line()
		line(md(d["intro"]))
		line()
		for _, it := range items(d["items"]) {
			line("- **", md(it["name"]), "**: ", md(it["description"]))
		}
	case "testimonials":
		line("## ", md(d["title"]))
		for _, it := range items(d["items"]) {
			line()
			line("> ", md(it["quote"]))
			line(">")
			line("> — ", md(it["author"]), ", ", md(it["role"]))
		}
	case "faq":
		line("## ", md(d["title"]))
		for _, it := range items(d["items"]) {
			line()
			line("### ", md(it["question"]))
			line()
			line(md(it["answer"]))
		}
	case "cta":
		line("## ", md(d["headline"]))
		line()
		line(md(d["text"]))
		line()
		line(mdLink(d["button_label"], safeURL(str0(d["button_url"]))))
	case "pricing":
		line("## ", md(d["title"]))
		for _, p := range items(d["plans"]) {
			line()
			line("### ", md(p["name"]))
			line()
			line("**", md(p["price"]), "** ", md(p["period"]))
			line()
			for _, f := range strs(p["features"]) {
				line("- ", md(f))
			}
			line()
			line(mdLink(p["cta_label"], safeURL(str0(p["cta_url"]))))
		}
	case "contact":
		line("## ", md(d["title"]))
		line()
		line(md(d["text"]))
		var list []string
		if e := safeEmail(str0(d["email"])); e != "" {
			list = append(list, mdLink(e, "mailto:"+e))
		}
		if p := safePhone(str0(d["phone"])); p != "" {
			list = append(list, mdLink(p, telURL(p)))
		}
		if a := str0(d["address"]); a != "" {
			list = append(list, md(a))
		}
		if len(list) > 0 {
			line()
			for _, l := range list {
				line("- ", l)
			}
		}
	}
	return w.String()
}

// pageMarkdown joins the blocks' Markdown into the page.
func pageMarkdown(parts []string) string {
	return strings.Join(parts, "\n")
}
