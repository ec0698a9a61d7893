package analyze

import "strings"

// Word lists for tone: forms of address, register markers and hype words.
// Written for Copydesk from general knowledge of each language; see
// DATA-LICENSES.md.

// toneTables maps a language to its tone table.
var toneTables = perLanguage[*toneLang]{build: func(lang string) *toneLang {
	switch lang {
	case "en":
		return newToneLang("en", toneSpec{
			formal: []string{"hereby", "herein", "hereto", "therefore", "furthermore", "moreover", "consequently",
				"pursuant", "whereas", "henceforth", "accordingly", "nevertheless", "notwithstanding", "shall", "thus",
				"hence", "regarding", "kindly", "sincerely", "respectively", "aforementioned", "thereof", "therein",
				"whereby", "wherein", "herewith", "subsequently", "additionally", "nonetheless", "endeavour",
				"endeavor", "commence", "ascertain", "facilitate", "utilise", "utilize", "prior", "inquire", "enquire",
				"obtain", "request", "sufficient", "approximately"},
			informal: []string{"gonna", "wanna", "gotta", "kinda", "sorta", "yeah", "yep", "yup", "nope", "hey", "hi",
				"cool", "stuff", "guys", "ok", "okay", "lol", "btw", "omg", "totally", "super", "awesome", "folks",
				"huh", "wow", "oops", "whoa", "yay", "dude", "y'all", "ain't", "lemme", "gimme", "dunno", "nah",
				"cheers", "fab", "ya", "bunch", "pretty much", "kind of", "sort of", "a lot", "check out"},
			hype: []string{"revolutionary", "revolutionise", "revolutionize", "groundbreaking", "ground-breaking",
				"game-changing", "game-changer", "gamechanger", "cutting-edge", "disruptive", "world-class",
				"best-in-class", "unparalleled", "unprecedented", "unbeatable", "incredible", "incredibly", "amazing",
				"ultimate", "next-level", "mind-blowing", "jaw-dropping", "breathtaking", "insane", "epic", "magical",
				"stunning", "phenomenal", "extraordinary", "limitless", "effortless", "effortlessly", "state-of-the-art",
				"industry-leading", "market-leading", "unrivaled", "unrivalled", "unmatched", "transformative",
				"supercharge", "supercharged", "turbocharge", "skyrocket", "blazing-fast", "lightning-fast",
				"best-ever", "synergy", "paradigm-shifting", "second-to-none", "one-of-a-kind", "life-changing",
				"mind-boggling", "sensational", "spectacular", "unbelievable", "perfect", "flawless", "seamless",
				"seamlessly", "10x", "game changer", "next level", "best ever", "like never before", "second to none"},
			formalName: "—", informalName: "—", contractions: true,
		})
	case "nl":
		return newToneLang("nl", toneSpec{
			formalAddr:   []string{"u", "uw", "uzelf", "uwe"},
			informalAddr: []string{"je", "jij", "jou", "jouw", "jezelf", "jullie", "jouwe"},
			formal: []string{"derhalve", "dientengevolge", "hieromtrent", "teneinde", "aldus", "tevens", "betreffende",
				"inzake", "gaarne", "middels", "zulks", "voornoemd", "voornoemde", "desalniettemin", "alsmede",
				"hetgeen", "onverwijld", "geachte", "hoogachtend", "ingevolge", "doch", "ten behoeve van",
				"met betrekking tot", "naar aanleiding van", "met vriendelijke groet", "met vriendelijke groeten"},
			informal: []string{"hoi", "hey", "hé", "joh", "nou", "oké", "ok", "super", "vet", "gaaf", "tof", "toffe",
				"lekker", "effe", "ff", "best wel", "echt wel", "zeg maar", "gozer", "doei", "lol", "mega",
				"hartstikke", "chill", "leuk", "leuke", "makkie", "helemaal top", "top"},
			hype: []string{"baanbrekend", "revolutionair", "ongeëvenaard", "ongekend", "fantastisch", "geweldig",
				"fenomenaal", "wereldklasse", "state-of-the-art", "grensverleggend", "verbluffend", "adembenemend",
				"ultiem", "onovertroffen", "briljant", "magisch", "supersnel", "razendsnel", "toonaangevend",
				"onvergetelijk", "ongelooflijk", "waanzinnig", "gamechanger", "game-changer", "onverslaanbaar",
				"moeiteloos", "moeiteloze", "naadloos", "naadloze", "sensationeel", "spectaculair", "perfect",
				"ongelofelijk", "innovatief", "innovatieve", "uniek", "wereldwijd toonaangevend", "next level",
				"beste ooit", "als nooit tevoren", "nummer één"},
			formalName: "u/uw", informalName: "je/jij/jouw",
		})
	case "de":
		return newToneLang("de", toneSpec{
			capitalFormal: []string{"sie", "ihnen", "ihr", "ihre", "ihrem", "ihren", "ihrer", "ihres"},
			informalAddr: []string{"du", "dich", "dir", "dein", "deine", "deinem", "deinen", "deiner", "deines", "euch",
				"euer", "eure", "eurem", "euren", "eurer"},
			formal: []string{"hiermit", "diesbezüglich", "demzufolge", "ferner", "gemäß", "bezüglich", "sofern",
				"mithin", "zwecks", "seitens", "infolgedessen", "hochachtungsvoll", "freundlichen", "geehrte",
				"geehrter", "verbleiben", "obliegt", "ebenda"},
			informal: []string{"hallo", "hey", "cool", "krass", "super", "okay", "ok", "geil", "tschüss", "hi", "na", "ne", "nee", "jo", "kumpel", "bisschen"},
			hype: []string{"bahnbrechend", "revolutionär", "einzigartig", "unvergleichlich", "unschlagbar",
				"sensationell", "fantastisch", "phänomenal", "grandios", "atemberaubend", "weltklasse", "ultimativ",
				"unglaublich", "spektakulär", "marktführend", "erstklassig", "mühelos", "nahtlos", "perfekt",
				"innovativ", "genial", "beispiellos", "wie nie zuvor"},
			formalName: "Sie/Ihr", informalName: "du/dein",
		})
	case "fr":
		return newToneLang("fr", toneSpec{
			formalAddr:   []string{"vous", "votre", "vos", "vôtre", "vôtres", "vous-même", "vous-mêmes"},
			informalAddr: []string{"tu", "te", "toi", "ton", "ta", "tes", "tien", "tienne", "toi-même"},
			notAfter:     []string{"le", "un", "du", "ce", "au", "même", "de", "bon", "quel"},
			formal: []string{"veuillez", "ci-joint", "néanmoins", "conformément", "cordialement", "toutefois", "dès lors", "par conséquent", "nonobstant", "susmentionné", "salutations", "madame",
				"monsieur", "agréer", "distinguées"},
			informal: []string{"salut", "coucou", "ouais", "super", "cool", "sympa", "truc", "bref", "ok", "génial",
				"carrément", "mec", "boulot", "bosser", "kiffer", "ouf", "bah", "bon ben"},
			hype: []string{"révolutionnaire", "incroyable", "exceptionnel", "inégalé", "imbattable", "extraordinaire",
				"fantastique", "phénoménal", "époustouflant", "spectaculaire", "ultime", "parfait", "sensationnel",
				"incomparable", "magique", "inouï", "sans précédent", "comme jamais"},
			formalName: "vous/votre", informalName: "tu/ton/ta", elision: true,
		})
	case "es":
		return newToneLang("es", toneSpec{
			formalAddr: []string{"usted", "ustedes", "ud", "uds"},
			informalAddr: []string{"tú", "tu", "tus", "ti", "contigo", "te", "vosotros", "vosotras", "os", "vuestro",
				"vuestra", "vuestros", "vuestras"},
			formal: []string{"estimado", "estimada", "atentamente", "cordialmente", "asimismo", "no obstante",
				"por consiguiente", "mediante", "dicho", "señor", "señora", "saludos cordiales"},
			informal: []string{"hola", "vale", "guay", "chulo", "súper", "ok", "oye", "tío", "tía", "mola", "genial",
				"porfa", "chao", "venga"},
			hype: []string{"revolucionario", "increíble", "excepcional", "inigualable", "insuperable", "extraordinario",
				"fantástico", "espectacular", "asombroso", "impresionante", "perfecto", "sensacional", "incomparable",
				"mágico", "sin precedentes", "como nunca"},
			formalName: "usted", informalName: "tú",
		})
	case "it":
		return newToneLang("it", toneSpec{
			capitalFormal: []string{"lei", "suo", "sua", "suoi", "sue"},
			informalAddr:  []string{"tu", "ti", "te", "tuo", "tua", "tuoi", "tue"},
			formal: []string{"pertanto", "inoltre", "gentile", "egregio", "distinti", "cordiali", "qualora",
				"suddetto", "codesto", "altresì", "mediante"},
			informal: []string{"ciao", "ok", "figo", "mitico", "super", "boh", "roba", "beh", "ehi"},
			hype: []string{"rivoluzionario", "incredibile", "eccezionale", "ineguagliabile", "imbattibile",
				"straordinario", "fantastico", "spettacolare", "sensazionale", "perfetto", "magico", "pazzesco",
				"senza precedenti", "come mai prima"},
			formalName: "Lei", informalName: "tu",
		})
	case "pt":
		return newToneLang("pt", toneSpec{
			formalAddr:   []string{"senhor", "senhora", "senhores", "senhoras", "vossa"},
			informalAddr: []string{"tu", "teu", "tua", "teus", "tuas", "contigo", "ti"},
			formal: []string{"atenciosamente", "cordialmente", "prezado", "prezada", "outrossim", "mediante",
				"portanto", "ademais", "conforme"},
			informal: []string{"oi", "olá", "valeu", "beleza", "ok", "tipo", "galera", "show",
				"tchau"},
			hype: []string{"revolucionário", "incrível", "excepcional", "inigualável", "imbatível", "extraordinário",
				"fantástico", "espetacular", "sensacional", "perfeito", "mágico", "impressionante",
				"sem precedentes", "como nunca"},
			formalName: "o senhor/a senhora", informalName: "tu",
		})
	}
	return nil
}}

// toneSContractions: words before "'s" that make it "is"/"has", not a
// possessive.
var toneSContractions = newLexSet("it", "that", "what", "there", "here", "he", "she", "who", "let", "where",
	"how", "everyone", "everything", "nothing", "something", "someone", "somebody", "nobody", "this")

// toneSpec is the source form of a toneLang.
type toneSpec struct {
	formalAddr, informalAddr, capitalFormal, notAfter []string
	formal, informal, hype                            []string
	formalName, informalName                          string
	contractions, elision                             bool
}

// newToneLang builds a language's tone table: one map keyed by word, so the
// hot path does one lookup per word; an entry may also start phrases.
func newToneLang(lang string, s toneSpec) *toneLang {
	L := &toneLang{
		entries:      make(map[string]*toneEntry),
		notAfter:     newLexSet(s.notAfter...),
		formalName:   s.formalName,
		informalName: s.informalName,
		contractions: s.contractions,
		elision:      s.elision,
	}
	entry := func(w string) *toneEntry {
		e := L.entries[w]
		if e == nil {
			e = &toneEntry{}
			L.entries[w] = e
		}
		return e
	}
	add := func(kind toneKind, list []string) {
		for _, item := range list {
			forms := []string{item}
			if strings.ContainsRune(item, '-') {
				forms = append(forms, strings.ReplaceAll(item, "-", " "))
			}
			for _, f := range forms {
				words := strings.Fields(f)
				for _, first := range lexApostropheVariants(words[0]) {
					e := entry(first)
					if len(words) == 1 {
						if e.kind == toneNone {
							e.kind = kind
						}
						continue
					}
					e.phrases = append(e.phrases, tonePhrase{tail: words[1:], kind: kind})
				}
			}
		}
	}
	add(toneCapitalFormal, s.capitalFormal)
	add(toneFormalAddress, s.formalAddr)
	add(toneInformalAddress, s.informalAddr)
	add(toneHype, lexInflect(lang, s.hype))
	add(toneFormalMarker, s.formal)
	add(toneInformalMarker, s.informal)
	return L
}
