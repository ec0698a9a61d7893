package analyze

import "sync"

// Word lists for the grammar rules. Written for Copydesk; see
// DATA-LICENSES.md. Only entries that are wrong in every context belong in
// grammarMisspellings: a word that is correct in some sentence ("verassing"
// is cremation in Dutch) stays out.

// grammarRepeatAllowed lists words that may legitimately be doubled
// ("I know that that works", "Ik weet dat dat klopt", "vous vous trompez").
var grammarRepeatAllowed = map[string]lexSet{
	"en": newLexSet("that", "had", "is", "do", "bye", "ha", "no", "so", "very", "really", "far", "tsk", "knock", "blah", "bla", "ta"),
	"nl": newLexSet("die", "dat", "er", "heel", "zo", "nee", "ja", "bla", "haha", "ha", "je", "u"), // "als je je aanmeldt", "kunt u u aanmelden"
	"de": newLexSet("die", "das", "der", "sie", "ja", "nein", "bla", "ha"),
	"fr": newLexSet("nous", "vous", "si", "bla", "ha", "non", "oui"),
	"es": newLexSet("ja", "bla", "no", "sí"),
	"it": newLexSet("ci", "si", "bla", "ah", "no", "sì", "piano", "pian"),
	"pt": newLexSet("bla", "não", "sim"),
}

// grammarANFunctionWords start with a vowel but follow a letter "a" used as
// a label ("plan a or b", "grade a is"), so "a" before them is not flagged.
var grammarANFunctionWords = newLexSet("and", "or", "is", "in", "of", "on", "at", "as", "if", "it", "an", "are",
	"also", "all", "any", "after", "about", "above", "across", "again", "against", "into", "onto", "over", "out",
	"up", "until", "upon", "unless", "even", "ever", "either", "each", "else", "only", "other", "our", "its",
	"i", "i'm", "i've", "i'd", "i'll", "instead", "etc", "ie", "eg", "e.g", "i.e", "ok", "okay")

// grammarComparatives come before "than". Time words ("later", "earlier",
// "younger", "older") are left out: "I was younger then" is correct.
var grammarComparatives = newLexSet("more", "less", "better", "worse", "greater", "larger", "smaller", "bigger",
	"higher", "lower", "faster", "slower", "rather", "fewer", "cheaper", "easier", "harder", "stronger", "weaker",
	"safer", "simpler", "quicker", "richer", "smarter", "lighter", "heavier", "wider", "deeper")

// grammarThanObjects start the second term of a comparison.
var grammarThanObjects = newLexSet("the", "a", "an", "any", "ever", "before", "expected", "usual", "you", "we",
	"they", "i", "he", "she", "it", "most", "anyone", "anything", "others", "that", "this", "those", "these",
	"our", "your", "their", "his", "her", "my", "last", "average", "competitors", "ours", "yours", "theirs",
	"required", "necessary", "needed", "planned", "one", "two", "three", "ten", "twice", "half")

// grammarNLSubordinators open a Dutch subordinate clause, whose verb comes
// last ("als u klaar bent").
var grammarNLSubordinators = newLexSet("als", "omdat", "wanneer", "zodra", "terwijl", "dat", "of", "indien",
	"nadat", "voordat", "zodat", "hoewel", "tenzij", "mits", "totdat", "doordat", "aangezien", "zolang")

// grammarNLComparatives are Dutch comparatives that take "dan", never
// "als" ("sterker dan", "meer dan 10"). Words that are also adverbs of time
// or place ("later als je thuis bent", "eerder als bijzaak") are left out.
var grammarNLComparatives = newLexSet("beter", "slechter", "groter", "kleiner", "sterker", "zwakker", "sneller",
	"trager", "langzamer", "langer", "korter", "hoger", "lager", "meer", "minder", "goedkoper", "duurder",
	"mooier", "lelijker", "ouder", "jonger", "zwaarder", "lichter", "makkelijker", "gemakkelijker", "moeilijker",
	"belangrijker", "slimmer", "warmer", "kouder", "dikker", "dunner", "breder", "smaller", "vaker", "liever",
	"veiliger", "sterkere", "betere", "grotere", "kleinere", "snellere", "goedkopere", "duurdere", "rijker",
	"armer", "drukker", "rustiger", "nieuwer", "eenvoudiger", "efficiënter", "duidelijker", "populairder",
	"sneller", "stiller", "luider", "frisser", "gezonder", "zuiniger", "groener")

// grammarMoreLess make an English comparative with an adjective ("more
// common than").
var grammarMoreLess = newLexSet("more", "less", "fewer")

// grammarSilentH: words whose "h" is silent, so they take "an".
var grammarSilentH = newLexSet("hour", "hours", "hourly", "honest", "honestly", "honesty", "honor", "honors",
	"honour", "honours", "honorable", "honourable", "honorary", "heir", "heirs", "heiress", "heirloom")

// grammarConsonantU: words starting with a vowel letter but a consonant
// sound ("a university", "a one-off"), so "an" before them is wrong.
var grammarConsonantU = newLexSet("university", "universities", "universal", "universe", "unique", "union",
	"unions", "unit", "units", "united", "unity", "user", "users", "useful", "usual", "usually", "usage", "use",
	"utility", "utilities", "utensil", "uniform", "uniforms", "unicorn", "unilateral", "usb", "ufo", "uranium",
	"urinal", "usurper", "utopia", "utopian", "one", "once", "one-off", "one-time", "one-way", "one-stop",
	"one-year", "one-day", "one-hour", "unified", "uniquely", "username", "usability", "useless")

// grammarAbbreviations end with a dot that does not end a sentence; checked
// before flagging a lower-case word after ". ".
var grammarAbbreviations = newLexSet("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "approx", "dept",
	"est", "fig", "inc", "ltd", "co", "no", "vol", "ch", "pp", "etc", "cf", "gen", "rev", "jan", "feb", "mar",
	"apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "min", "max", "ca", "nr", "blz", "bijv",
	"bv", "evt", "incl", "excl", "enz", "resp", "zgn", "jl", "vnl", "dhr", "mevr", "mw", "ing", "ir", "drs",
	"bzw", "ggf", "vgl", "inkl", "usw", "evtl", "sog", "str", "tel", "hr", "fr", "mme", "mlle", "env", "av",
	"sra", "srta", "dra", "ud", "uds", "pág", "núm", "sig", "dott", "avv", "pag", "tel", "tav", "art", "par",
	"nl", "en", "de", "ex", "op", "cit", "ibid", "sq", "ff", "vs", "viz", "al", "resp", "ref", "ecc", "ecc.", "cioè",
	"pág", "págs", "etc.", "p.ex", "p.ej", "vd", "sr", "dto")

// grammarMisspellings maps words that are wrong in every context to their
// correct spelling.
var grammarMisspellings = map[string]map[string]string{
	"en": {
		"alot": "a lot", "definately": "definitely", "definatly": "definitely", "seperate": "separate",
		"seperately": "separately", "occured": "occurred", "occuring": "occurring", "occurence": "occurrence",
		"recieve": "receive", "recieved": "received", "untill": "until", "wich": "which", "accomodate": "accommodate",
		"accomodation": "accommodation", "neccessary": "necessary", "necesary": "necessary", "existance": "existence",
		"goverment": "government", "enviroment": "environment", "beleive": "believe", "calender": "calendar",
		"tommorow": "tomorrow", "tommorrow": "tomorrow", "wierd": "weird", "truely": "truly", "noticable": "noticeable",
		"publically": "publicly", "independant": "independent", "arguement": "argument", "begining": "beginning",
		"succesful": "successful", "successfull": "successful", "recomend": "recommend", "reccomend": "recommend",
		"thier": "their", "teh": "the", "becuase": "because", "acheive": "achieve", "acheived": "achieved",
		"adress": "address", "agressive": "aggressive", "apparantly": "apparently", "basicly": "basically",
		"beggining": "beginning", "buisness": "business", "commited": "committed", "comming": "coming",
		"completly": "completely", "concious": "conscious", "enviromental": "environmental", "excercise": "exercise",
		"foriegn": "foreign", "freind": "friend", "garantee": "guarantee", "gaurd": "guard", "grammer": "grammar",
		"harrass": "harass", "immediatly": "immediately", "knowlege": "knowledge", "liason": "liaison",
		"libary": "library", "maintainance": "maintenance", "millenium": "millennium", "mispell": "misspell",
		"occassion": "occasion", "occassionally": "occasionally", "persistant": "persistent", "posession": "possession",
		"prefered": "preferred", "realy": "really", "refered": "referred", "relevent": "relevant",
		"remeber": "remember", "resistence": "resistance", "responsability": "responsibility", "rythm": "rhythm",
		"sucess": "success", "supercede": "supersede", "suprise": "surprise", "tendancy": "tendency",
		"threshhold": "threshold", "tounge": "tongue", "unfortunatly": "unfortunately", "whereever": "wherever",
		"writting": "writing", "wether": "whether", "yeild": "yield", "youre": "you're", "doesnt": "doesn't",
		"dont": "don't", "didnt": "didn't", "isnt": "isn't", "wasnt": "wasn't",
		"shouldnt": "shouldn't", "wouldnt": "wouldn't", "couldnt": "couldn't", "arent": "aren't", "havent": "haven't",
		"irregardless": "regardless", "accross": "across", "embarass": "embarrass",
		"occurrance": "occurrence", "paralell": "parallel", "priviledge": "privilege", "reciept": "receipt",
	},
	"nl": {
		"inplaats": "in plaats", "opzich": "op zich", "zowieso": "sowieso", "zoiezo": "sowieso", "ookal": "ook al",
		"eigelijk": "eigenlijk", "eingelijk": "eigenlijk", "vanplan": "van plan", "financiëel": "financieel",
		"onmiddelijk": "onmiddellijk", "geinteresseerd": "geïnteresseerd", "ideeen": "ideeën",
		"enigste": "enige", "interresant": "interessant", "interessent": "interessant",
		"definitef": "definitief", "perongeluk": "per ongeluk",
		"ofzo": "of zo", "alsnogmaals": "nogmaals",
		"coordinatie": "coördinatie", "reeele": "reële", "reeel": "reëel",
		"varieren": "variëren", "creeren": "creëren", "gecreeerd": "gecreëerd", "categorieen": "categorieën",
		"gebeurdt": "gebeurt", "imformatie": "informatie",
		"namelijks": "namelijk", "accomodatie": "accommodatie",
		"commisie": "commissie", "comissie": "commissie", "millioen": "miljoen",
		"perse": "per se", "bijvoorbaat": "bij voorbaat",
	},
	"de": {
		"wiederrum": "wiederum", "nähmlich": "nämlich", "garnicht": "gar nicht", "ausversehen": "aus Versehen",
		"vorraus": "voraus", "standart": "Standard", "rhytmus": "Rhythmus", "seperat": "separat",
		"vieleicht": "vielleicht", "entgültig": "endgültig", "maschiene": "Maschine", "reperatur": "Reparatur",
		"addresse": "Adresse", "interresant": "interessant", "zumindestens": "zumindest", "tollerant": "tolerant",
		"agressiv": "aggressiv", "ziehmlich": "ziemlich",
		"dilletant": "Dilettant", "poblem": "Problem", "vorallem": "vor allem",
		"imgrunde":    "im Grunde",
		"desweiteren": "des Weiteren",
	},
	"fr": {
		"parmis": "parmi", "malgrés": "malgré", "dilemne": "dilemme", "professionel": "professionnel",
		"professionelle": "professionnelle", "developpement": "développement", "apparament": "apparemment",
		"addresse": "adresse", "aggréable": "agréable",
		"comission": "commission",
		"personel":  "personnel", "traditionel": "traditionnel", "notament": "notamment",
		"évidement": "évidemment", "courament": "couramment", "différament": "différemment",
	},
	"es": {
		"haiga": "haya", "preveer": "prever", "expontáneo": "espontáneo", "aveces": "a veces", "osea": "o sea",
		"porfavor": "por favor", "atravez": "a través", "atravéz": "a través", "enserio": "en serio",
		"nadien": "nadie", "dijistes": "dijiste", "hicistes": "hiciste", "fuistes": "fuiste", "vinistes": "viniste",
		"inrumpir": "irrumpir", "exhuberante": "exuberante",
	},
	"it": {
		"perchè": "perché", "poichè": "poiché", "affinchè": "affinché", "benchè": "benché", "nè": "né",
		"pò": "po'", "avvolte": "a volte", "daccordo": "d'accordo", "efficenza": "efficienza",
		"sufficente": "sufficiente", "sopratutto": "soprattutto", "qual'è": "qual è", "propio": "proprio",
		"coscenza": "coscienza", "scenziato": "scienziato", "appropiato": "appropriato",
		"cosidetto": "cosiddetto", "pultroppo": "purtroppo", "eccezzionale": "eccezionale",
	},
	"pt": {
		"concerteza": "com certeza", "derrepente": "de repente", "excessão": "exceção", "previlégio": "privilégio",
		"mendingo": "mendigo", "menas": "menos", "seje": "seja", "esteje": "esteja", "porisso": "por isso",
		"apartir": "a partir", "impecilho": "empecilho", "asterístico": "asterisco",
		"beneficiente": "beneficente", "cabeleleiro": "cabeleireiro", "mortandela": "mortadela",
	},
}

// grammarPrefixBits is a set of two-byte word prefixes: a cheap filter in
// front of the misspelling map, which most words never need to reach.
type grammarPrefixBits [65536 / 64]uint64

func (p *grammarPrefixBits) mayHave(w string) bool {
	if p == nil || len(w) < 2 {
		return p != nil && len(w) > 0
	}
	k := uint16(w[0])<<8 | uint16(w[1])
	return p[k>>6]&(1<<(k&63)) != 0
}

// grammarMisspellingPrefixes holds the two-byte prefixes of each language's
// misspellings.
var grammarMisspellingPrefixes = sync.OnceValue(func() map[string]*grammarPrefixBits {
	out := make(map[string]*grammarPrefixBits, len(grammarMisspellings))
	for lang, m := range grammarMisspellings {
		p := new(grammarPrefixBits)
		for w := range m {
			if len(w) >= 2 {
				k := uint16(w[0])<<8 | uint16(w[1])
				p[k>>6] |= 1 << (k & 63)
			}
		}
		out[lang] = p
	}
	return out
})
