package analyze

// Sentiment modifiers: negators, intensifiers, diminishers and contrast
// words. Written for Copydesk; see DATA-LICENSES.md.

var sentimentModifiersEN = sentimentModifiers{
	negators: []string{"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "without",
		"cannot", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "wouldn't",
		"can't", "couldn't", "shouldn't", "haven't", "hasn't", "hadn't", "ain't", "mustn't", "needn't",
		"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wouldnt", "couldnt", "shouldnt",
		"havent", "hasnt", "lack", "lacks", "lacking", "hardly", "barely", "scarcely", "rarely"},
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
		"nauwelijks", "amper", "evenmin", "geenszins", "allesbehalve", "niks", "ontbreekt"},
	intensifiers: []string{"zeer", "erg", "heel", "echt", "enorm", "ontzettend", "ongelooflijk", "uiterst",
		"bijzonder", "buitengewoon", "super", "hartstikke", "extreem", "behoorlijk", "flink", "zo", "te", "totaal",
		"volkomen", "volledig", "helemaal", "absoluut", "werkelijk", "enorme",
		"mega", "ultra", "uitermate", "hoogst", "reuze", "oprecht", "diep"},
	diminishers: []string{"enigszins", "beetje", "best", "vrij", "redelijk", "tamelijk", "nogal", "iets",
		"lichtjes", "ietwat", "deels", "gedeeltelijk", "bijna", "vrijwel"},
	contrasts: []string{"maar", "echter", "hoewel", "desondanks", "daarentegen", "ofschoon", "alhoewel"},
}
