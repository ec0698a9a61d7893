package analyze

// Sentiment modifiers: negators, intensifiers, diminishers and contrast
// words. "less" and its translations count as negators: "less good" leans
// negative, "less expensive" positive. Written for Copydesk; see DATA-LICENSES.md.

var sentimentModifiersEN = sentimentModifiers{
	negators: []string{"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "without",
		"cannot", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "wouldn't",
		"can't", "couldn't", "shouldn't", "haven't", "hasn't", "hadn't", "ain't", "mustn't", "needn't",
		"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wouldnt", "couldnt", "shouldnt",
		"havent", "hasnt", "lack", "lacks", "lacking", "hardly", "barely", "scarcely", "rarely", "less"},
	intensifiers: []string{"very", "really", "extremely", "incredibly", "highly", "truly", "absolutely",
		"completely", "totally", "utterly", "so", "too", "remarkably", "exceptionally", "particularly",
		"especially", "super", "deeply", "hugely", "immensely", "exceedingly", "terribly", "awfully",
		"seriously", "thoroughly", "entirely", "insanely", "ridiculously", "amazingly", "overly"},
	diminishers: []string{"slightly", "somewhat", "fairly", "rather", "quite", "bit", "little", "marginally",
		"partly", "partially", "mildly", "moderately", "kinda", "sorta", "almost", "nearly", "reasonably"},
	contrasts: []string{"but", "however", "although", "though", "yet", "nevertheless", "nonetheless", "whereas"},
}

var sentimentModifiersNL = sentimentModifiers{
	negators: []string{"niet", "geen", "nooit", "niets", "niemand", "nergens", "noch", "zonder", "allerminst",
		"nauwelijks", "amper", "evenmin", "geenszins", "allesbehalve", "niks", "ontbreekt", "minder"},
	intensifiers: []string{"zeer", "erg", "heel", "echt", "enorm", "ontzettend", "ongelooflijk", "uiterst",
		"bijzonder", "buitengewoon", "super", "hartstikke", "extreem", "behoorlijk", "flink", "zo", "te", "totaal",
		"volkomen", "volledig", "helemaal", "absoluut", "werkelijk", "enorme",
		"mega", "ultra", "uitermate", "hoogst", "reuze", "oprecht", "diep"},
	diminishers: []string{"enigszins", "beetje", "best", "vrij", "redelijk", "tamelijk", "nogal", "iets",
		"lichtjes", "ietwat", "deels", "gedeeltelijk", "bijna", "vrijwel"},
	contrasts: []string{"maar", "echter", "hoewel", "desondanks", "daarentegen", "ofschoon", "alhoewel"},
}

var sentimentModifiersDE = sentimentModifiers{
	negators: []string{"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts",
		"niemand", "nirgends", "ohne", "weder", "kaum", "weniger"},
	intensifiers: []string{"sehr", "wirklich", "extrem", "äußerst", "besonders", "total", "absolut", "völlig",
		"ganz", "echt", "richtig", "unglaublich", "wahnsinnig", "höchst", "überaus", "zu", "so"},
	diminishers: []string{"etwas", "ziemlich", "eher", "leicht", "bisschen", "relativ", "teilweise", "fast"},
	contrasts:   []string{"aber", "jedoch", "doch", "allerdings", "trotzdem", "dennoch", "obwohl"},
}

var sentimentModifiersFR = sentimentModifiers{
	negators: []string{"pas", "jamais", "rien", "personne", "aucun", "aucune", "sans", "ni", "guère", "nullement", "moins"},
	intensifiers: []string{"très", "vraiment", "extrêmement", "trop", "tellement", "si", "absolument", "totalement",
		"complètement", "particulièrement", "hyper", "fort", "super", "incroyablement"},
	diminishers: []string{"peu", "assez", "plutôt", "légèrement", "presque", "moyennement"},
	contrasts:   []string{"mais", "cependant", "pourtant", "toutefois", "néanmoins"},
}

var sentimentModifiersES = sentimentModifiers{
	negators: []string{"no", "nunca", "jamás", "nada", "nadie", "ningún", "ninguna", "ninguno", "sin", "ni", "tampoco", "menos"},
	intensifiers: []string{"muy", "realmente", "extremadamente", "súper", "tan", "demasiado", "totalmente",
		"completamente", "absolutamente", "sumamente", "increíblemente", "especialmente"},
	diminishers: []string{"poco", "algo", "bastante", "ligeramente", "casi"},
	contrasts:   []string{"pero", "aunque", "sino", "embargo"},
}

var sentimentModifiersIT = sentimentModifiers{
	negators: []string{"non", "mai", "niente", "nulla", "nessuno", "nessuna", "senza", "né", "meno"},
	intensifiers: []string{"molto", "davvero", "veramente", "estremamente", "troppo", "così", "assolutamente",
		"totalmente", "completamente", "particolarmente", "tanto", "super"},
	diminishers: []string{"poco", "abbastanza", "piuttosto", "leggermente", "quasi"},
	contrasts:   []string{"ma", "però", "tuttavia", "eppure", "comunque", "invece"},
}

var sentimentModifiersPT = sentimentModifiers{
	negators: []string{"não", "nunca", "jamais", "nada", "ninguém", "nenhum", "nenhuma", "sem", "nem", "menos"},
	intensifiers: []string{"muito", "realmente", "extremamente", "super", "tão", "demasiado", "totalmente",
		"completamente", "absolutamente", "especialmente", "incrivelmente"},
	diminishers: []string{"pouco", "meio", "ligeiramente", "quase", "algo"},
	contrasts:   []string{"mas", "porém", "contudo", "todavia", "entretanto", "embora"},
}
