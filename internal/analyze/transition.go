package analyze

import "strings"

// transitionWord reports whether s contains a transition word or phrase of
// lang ("however", "for example", "bovendien", "met andere woorden"). The
// lists are ours (DATA-LICENSES.md); unknown languages never match.
func transitionWord(lang string, s *Sentence) bool {
	if s == nil {
		return false
	}
	table := transitionTables.get(lang)
	if table == nil {
		return false
	}
	for i := range s.Words {
		if k := table.matchAt(s.Words, i); k > 0 && !transitionQuantity(lang, s.Words, i, k) {
			return true
		}
	}
	return twoPartTransition(lang, s.Words)
}

// twoPartTransitions are correlative connectors whose parts are apart in
// the sentence: "either … or", "sowohl … als", "plus … que" (a comparison
// links two ideas as much as "than" does).
var twoPartTransitions = map[string][][2]string{
	"en": {{"either", "or"}, {"neither", "nor"}, {"both", "and"}, {"whether", "or"}, {"not", "but"}, {"more", "than"}, {"less", "than"}, {"rather", "than"}},
	"nl": {{"zowel", "als"}, {"niet", "maar"}, {"noch", "noch"}, {"hetzij", "hetzij"}, {"meer", "dan"}, {"minder", "dan"}, {"enerzijds", "anderzijds"}},
	"de": {{"sowohl", "als"}, {"entweder", "oder"}, {"weder", "noch"}, {"nicht", "sondern"}, {"zwar", "aber"}, {"mehr", "als"}, {"weniger", "als"}, {"je", "desto"}, {"je", "umso"}},
	"fr": {{"plus", "que"}, {"moins", "que"}, {"autant", "que"}, {"soit", "soit"}, {"ni", "ni"}, {"non", "mais"}, {"d'une", "d'autre"}},
	"es": {{"tanto", "como"}, {"ni", "ni"}, {"no", "sino"}},
	"it": {{"più", "che"}, {"meno", "che"}, {"sia", "sia"}, {"sia", "che"}, {"né", "né"}, {"non", "ma"}},
	"pt": {{"nem", "nem"}},
}

// twoPartTransition reports whether both parts of a correlative connector
// occur in words, in order.
func twoPartTransition(lang string, words []Word) bool {
	pairs := twoPartTransitions[lang]
	for _, p := range pairs {
		for i := range words {
			if words[i].Lower != p[0] {
				continue
			}
			for j := i + 1; j < len(words); j++ {
				if words[j].Lower == p[1] {
					return true
				}
			}
			break
		}
	}
	return false
}

// transitionQuantity reports a French "de plus" that is a quantity ("de
// plus de 80 langues", "de plus d'un mois"), not the connective "moreover".
func transitionQuantity(lang string, words []Word, i, k int) bool {
	if lang != "fr" || k != 2 || words[i].Lower != "de" || words[i+1].Lower != "plus" || i+2 >= len(words) {
		return false
	}
	next := words[i+2].Lower
	return next == "de" || strings.HasPrefix(next, "d'") || strings.HasPrefix(next, "d’") || next[0] >= '0' && next[0] <= '9'
}

// transitionTables maps a language to its transition words and phrases.
var transitionTables = perLanguage[lexPhrases]{build: func(lang string) lexPhrases {
	switch lang {
	case "en":
		return newLexPhrases(transitionEN...)
	case "nl":
		return newLexPhrases(transitionNL...)
	case "de":
		return newLexPhrases(transitionDE...)
	case "fr":
		return newLexPhrases(transitionFR...)
	case "es":
		return newLexPhrases(transitionES...)
	case "it":
		return newLexPhrases(transitionIT...)
	case "pt":
		return newLexPhrases(transitionPT...)
	}
	return nil
}}

var transitionEN = []string{
	"accordingly", "additionally", "afterwards", "afterward", "also", "alternatively", "although", "altogether",
	"because", "besides", "but", "certainly", "consequently", "conversely", "correspondingly", "despite",
	"equally", "especially", "eventually", "finally", "firstly", "secondly", "thirdly", "fourthly", "lastly",
	"further", "furthermore", "hence", "however", "indeed", "instead", "likewise", "meanwhile", "moreover",
	"namely", "nevertheless", "nonetheless", "notably", "otherwise", "overall", "particularly", "previously",
	"similarly", "specifically", "subsequently", "therefore", "thus", "though", "ultimately", "unless",
	"whereas", "yet", "admittedly", "undoubtedly", "clearly", "obviously", "initially", "next", "still",
	"then", "importantly", "incidentally", "regardless", "evidently",
	"above all", "after all", "all in all", "as a consequence", "as a result", "as long as", "as soon as",
	"as well as", "at the same time", "at first", "at last", "because of", "by contrast", "by the way",
	"due to", "even so", "even though", "first of all", "for example", "for instance", "for this reason",
	"in addition", "in any case", "in conclusion", "in contrast", "in fact", "in other words", "in particular",
	"in short", "in summary", "in the end", "in the meantime", "in spite of", "in order to", "in the same way",
	"last but not least", "most importantly", "not only", "on the contrary", "on the other hand",
	"rather than", "so that", "such as", "that is why", "to begin with", "to conclude", "to illustrate",
	"to sum up", "to summarise", "to summarize", "with this in mind", "as you can see", "in general",
	"as mentioned", "in brief", "on top of that", "to put it differently", "to that end", "as a rule",
	"in the first place", "in the second place", "to start with", "what is more", "in that case",
	// Subordinating conjunctions and further discourse markers (grammar
	// categories; see DATA-LICENSES.md).
	"if", "when", "whenever", "while", "whilst", "since", "before", "until", "till", "than", "so", "albeit",
	"even if", "either", "neither", "nor", "whether", "provided that", "providing that", "in case", "in this case",
	"in many cases", "in most cases", "in either case", "in essence", "including", "later", "too", "most important",
	"different from", "similar to", "of course", "that is", "again",
}

var transitionNL = []string{
	"aangezien", "alhoewel", "allereerst", "alsnog", "anderzijds", "bijvoorbeeld", "bovendien", "daarbij",
	"daardoor", "daarna", "daarnaast", "daarom", "daarentegen", "daartegenover", "derhalve", "desalniettemin",
	"desondanks", "dientengevolge", "doordat", "dus", "echter", "eerst", "enerzijds", "evenals", "eveneens",
	"evenzo", "hierdoor", "hoewel", "immers", "indien", "integendeel", "kortom", "maar", "mits",
	"namelijk", "nadat", "nogmaals", "ofschoon", "omdat", "ondanks", "ook", "oftewel", "overigens",
	"samengevat", "tenslotte", "tenzij", "terwijl", "tevens", "toch", "trouwens", "uiteindelijk", "vandaar",
	"vervolgens", "voorts", "want", "waardoor", "zodat", "zodoende", "zodra", "zoals",
	"eindelijk", "tegelijkertijd", "hierna", "daarenboven", "kortweg", "ergo",
	"aan de andere kant", "al met al", "als gevolg van", "als laatste", "bij voorbeeld", "dat wil zeggen",
	"door middel van", "in de eerste plaats", "in de tweede plaats", "in het kort", "in plaats van",
	"in tegenstelling tot", "in feite", "met andere woorden", "met name", "net als", "niet alleen",
	"om die reden", "om te beginnen", "op die manier", "op deze manier", "ten eerste", "ten tweede",
	"ten derde", "ten slotte", "ten gevolge van", "tot slot", "tot besluit", "zowel", "bovenal", "om kort te gaan",
	"in het algemeen", "in conclusie", "kort samengevat", "als eerste", "in dat geval", "met het oog op",
	"daar komt bij", "los daarvan", "wat betreft",
	// Onderschikkende voegwoorden and further connectives (grammar
	// categories; see DATA-LICENSES.md).
	"als", "dan", "wanneer", "voordat", "al", "later", "zelfs", "daartoe", "noch", "ofwel", "hetzij", "opdat",
	"zolang", "sinds", "totdat", "alvorens", "daarop", "daarmee", "daarvoor", "hierbij", "hierop", "bijgevolg",
	"dientengevolge", "per slot van rekening", "over het algemeen", "dankzij", "vanwege",
	"toen",
}

var transitionDE = []string{
	"allerdings", "also", "anschließend", "außerdem", "beispielsweise", "dagegen", "daher", "damit", "danach",
	"dann", "darum", "dennoch", "deshalb", "deswegen", "drittens", "ebenfalls", "ebenso", "einerseits",
	"andererseits", "endlich", "erstens", "folglich", "ferner", "gleichzeitig", "hingegen", "indessen",
	"insbesondere", "jedoch", "letztendlich", "nämlich", "nichtsdestotrotz", "obwohl", "obgleich",
	"schließlich", "sodass", "somit", "stattdessen", "trotzdem", "weil", "zudem", "zuerst", "zunächst",
	"zusammenfassend", "zweitens", "aber", "demnach", "insgesamt", "überdies", "vielmehr", "währenddessen",
	"darüber hinaus", "im gegensatz dazu", "auf der anderen seite", "mit anderen worten", "aus diesem grund",
	"im folgenden", "vor allem", "zum beispiel", "zum schluss", "zum einen", "zum anderen", "so dass",
	"nicht nur", "sowohl", "im gegenteil", "im allgemeinen", "kurz gesagt", "im grunde", "in erster linie",
	"das heißt", "zu guter letzt", "im übrigen", "infolge dessen", "aus diesem anlass",
	// Subordinierende Konjunktionen, Pronominaladverbien and further
	// connectives (grammar categories; see DATA-LICENSES.md).
	"wenn", "dass", "daß", "ob", "falls", "sofern", "dafür", "dadurch", "dazu", "da", "darauf", "bevor", "ehe",
	"nachdem", "indem", "noch", "entweder", "weder", "sondern", "sowie", "während", "seitdem", "seit", "sobald",
	"solange", "wenngleich", "umso", "je", "desto", "sogar", "wodurch", "weshalb", "weswegen", "infolgedessen",
	"mittlerweile", "inzwischen", "in diesem fall", "auf diese weise", "als ob",
	"vorausgesetzt", "zum ersten mal", "auf grund", "aufgrund", "hierzu", "ausgenommen",
}

var transitionFR = []string{
	"ainsi", "alors", "aussi", "autrement", "bref", "car", "cependant", "d'abord", "deuxièmement", "donc",
	"effectivement", "également", "enfin", "ensuite", "finalement", "malgré", "néanmoins", "notamment",
	"pourtant", "premièrement", "puis", "puisque", "surtout", "toutefois", "troisièmement", "mais",
	"désormais", "dorénavant", "certes", "quoique", "parallèlement", "inversement",
	"à cause de", "afin de", "afin que", "alors que", "au contraire", "bien que",
	"d'autre part", "de même", "de plus", "en conclusion", "en effet", "en fait", "en outre",
	"en résumé", "en revanche", "en somme", "grâce à", "par conséquent", "par contre", "par exemple",
	"parce que", "pour conclure", "tout d'abord", "en premier lieu", "en second lieu", "de ce fait",
	"en bref", "en général", "par ailleurs", "pour cette raison", "dans ce cas", "en d'autres termes",
	"non seulement", "en particulier", "à savoir", "de sorte que",
	// Conjonctions de subordination, locutions and further connectives
	// (grammar categories; see DATA-LICENSES.md).
	"lorsque", "lorsqu", "même si", "soit", "selon", "c'est pourquoi", "tel que", "telle que", "tels que",
	"telles que", "encore", "dès que", "pendant que", "tandis que", "avant que", "après que", "jusqu'à ce que",
	"depuis que", "pour que", "si bien que", "à moins que", "pourvu que", "ainsi que", "de même que",
	"plutôt que", "sans que", "en conséquence", "en raison de", "en dépit de", "autrement dit",
	"de façon à ce que", "de façon que", "tant que", "à condition que", "contrairement à", "quant à", "plus tard", "en même temps", "ou bien", "de nos jours", "en matière de",
	// Elided forms before a vowel ("lorsqu'il", "parce qu'elle").
	"lorsqu'", "puisqu'", "quoiqu'", "parce qu'", "bien qu'", "afin qu'", "alors qu'", "tandis qu'", "pour qu'",
	"dès qu'", "avant qu'", "après qu'", "à moins qu'", "pourvu qu'", "sans qu'", "tant qu'", "de sorte qu'",
	"si bien qu'", "de façon à ce qu'", "ainsi qu'", "de même qu'", "plutôt qu'", "à condition qu'",
}

var transitionES = []string{
	"además", "también", "pero", "aunque", "porque", "pues", "así", "entonces", "luego", "después",
	"finalmente", "primero", "segundo", "asimismo", "igualmente", "mientras", "consecuentemente",
	"efectivamente", "posteriormente", "previamente", "igualmente", "sino", "todavía", "encima",
	"por tanto", "por lo tanto", "por consiguiente", "por ejemplo", "en cambio", "en conclusión",
	"en resumen", "es decir", "no obstante", "por otro lado", "por otra parte", "a pesar de", "debido a",
	"en primer lugar", "en segundo lugar", "por último", "en definitiva", "sobre todo", "de hecho",
	"al contrario", "de modo que", "ya que", "dado que", "por eso", "en cuanto a", "a continuación",
	"sin embargo", "en otras palabras", "en general", "en particular", "al mismo tiempo", "por lo general",
	"de esta manera", "de este modo", "así pues", "con todo", "en suma", "no solo", "o sea",
	// Conjunciones subordinantes, locuciones and further connectives
	// (grammar categories; see DATA-LICENSES.md).
	"si", "cuando", "como", "para que", "siempre que", "antes de", "por supuesto", "gracias a", "especialmente",
	"generalmente", "a menudo", "e", "ni", "mientras que", "a menos que", "con tal de que", "aun cuando",
	"hasta que", "desde que", "en cuanto", "tan pronto como", "puesto que", "de manera que", "a fin de que",
	"en consecuencia", "por ello", "en este caso", "por lo que", "por qué", "a través de",
	"de nuevo", "a diferencia de", "por primera vez", "en parte", "por esta razón", "por esta misma razón", "en cualquier caso",
}

var transitionIT = []string{
	"inoltre", "anche", "però", "tuttavia", "quindi", "dunque", "perciò", "infatti", "invece", "poi", "infine",
	"finalmente", "ovvero", "cioè", "anzi", "pertanto", "perché", "poiché", "sebbene", "benché", "nonostante",
	"comunque", "ebbene", "ciononostante", "dopodiché", "innanzitutto", "successivamente", "inizialmente",
	"eppure", "altrimenti", "insomma", "ma", "mentre", "siccome", "pure",
	"per esempio", "ad esempio", "in conclusione", "in sintesi", "in primo luogo", "in secondo luogo",
	"d'altra parte", "al contrario", "di conseguenza", "in altre parole", "per questo", "oltre a",
	"a causa di", "grazie a", "in realtà", "per quanto riguarda", "prima di tutto", "in effetti",
	"in particolare", "in generale", "allo stesso tempo", "dato che", "visto che", "in breve", "non solo",
	"per concludere", "in ogni caso", "d'altro canto",
	// Congiunzioni subordinanti, locuzioni and further connectives
	// (grammar categories; see DATA-LICENSES.md).
	"come", "quando", "o", "oppure", "così", "allora", "dopo", "prima di", "specialmente", "ovviamente",
	"in questo caso", "anche se", "affinché", "qualora", "purché", "a meno che", "finché", "appena",
	"non appena", "giacché", "cosicché", "in modo che", "prima che", "dopo che", "ossia", "altresì",
	"in tal caso", "di solito",
	"precedentemente", "dovuto a", "dovuta a", "dovuti a", "dovute a", "con ogni probabilità", "più importante", "diverso da", "diversamente da", "per la prima volta", "ogni volta che", "una volta che", "in entrambi i casi", "di seguito", "a patto che", "in modo da",
}

var transitionPT = []string{
	"porém", "contudo", "todavia", "entretanto", "portanto", "logo", "assim", "então", "pois",
	"porque", "embora", "enquanto", "finalmente", "depois", "inclusive", "aliás", "mas",
	"ademais", "outrossim", "consequentemente", "igualmente", "posteriormente", "certamente",
	"além disso", "ou seja", "por exemplo", "por isso", "no entanto", "em resumo", "em conclusão",
	"por outro lado", "em primeiro lugar", "em segundo lugar", "por fim", "de fato", "isto é", "apesar de",
	"devido a", "por causa de", "em suma", "dessa forma", "desta forma", "sendo assim", "em seguida",
	"ao contrário", "em geral", "em particular", "ao mesmo tempo", "uma vez que", "visto que", "já que",
	"de modo que", "não só", "acima de tudo", "em outras palavras", "de qualquer forma",
	// Conjunções subordinativas, locuções and further connectives
	// (grammar categories; see DATA-LICENSES.md).
	"ou", "mesmo que", "desde que", "de forma que", "de facto", "especialmente", "geralmente", "ainda que",
	"logo que", "assim que", "para que", "a fim de que", "de maneira que", "até que", "sempre que",
	"a menos que", "contanto que", "sem que", "porquanto", "além de", "na verdade", "pelo contrário",
	"por conseguinte", "nesse caso",
	"da mesma forma", "quem quer que", "em contraste com", "tais como", "tal como", "atualmente",
}
