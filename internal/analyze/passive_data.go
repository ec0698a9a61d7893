package analyze

import "sync"

// Word lists for passive-voice detection. Written for Copydesk from general
// knowledge of each language's grammar; see DATA-LICENSES.md.

var passiveENBe = newLexSet("is", "are", "was", "were", "be", "been", "being", "am",
	"isn't", "aren't", "wasn't", "weren't",
	// the get-passive: "gets enabled", "get disconnected"
	"get", "gets", "got", "gotten", "getting")

var passiveENContractedBe = newLexSet("it's", "that's", "he's", "she's", "what's", "there's", "here's",
	"we're", "they're", "you're", "i'm", "who's", "which's")

var passiveENAdverbs = newLexSet("not", "never", "also", "always", "often", "still", "already", "just",
	"being", "been", "then", "now", "sometimes", "all", "both", "each", "even", "rarely", "seldom", "usually",
	"generally", "mostly", "typically", "largely", "further", "first", "once", "since", "so", "too", "well",
	"almost", "nearly", "hardly", "barely", "ever", "soon", "thus", "therefore", "however", "yet", "automatically",
	"currently", "easily", "quickly", "carefully", "fully", "widely", "frequently", "only", "really", "very")

// passiveENNotParticiple: words ending in -ed that are not past participles,
// and -ed adjectives of feeling that read as states, not actions.
var passiveENNotParticiple = newLexSet("bed", "red", "shed", "sled", "wed", "shred", "hundred", "sacred", "naked",
	"wicked", "kindred", "infrared", "rugged", "jagged", "ragged", "crooked", "wretched", "beloved", "hatred",
	"bored", "tired", "excited", "interested", "worried", "pleased", "delighted", "thrilled", "scared",
	"ashamed", "aged", "talented", "skilled", "detailed", "advanced", "sophisticated", "dedicated",
	"experienced", "qualified", "related", "supposed", "used", "embed", "biped", "united")

// passiveENUsedToObject: after "used to", these start an object, not a verb.
var passiveENUsedToObject = newLexSet("it", "this", "that", "them", "him", "her", "me", "us", "you", "the", "a",
	"an", "my", "our", "your", "their", "his", "its", "such", "these", "those", "all", "some", "much", "more")

var passiveENEedParticiple = newLexSet("agreed", "freed", "guaranteed", "decreed", "refereed", "disagreed", "emceed")

var passiveENIrregular = newLexSet(
	"arisen", "awoken", "beaten", "become", "begun", "bent", "bet", "bid", "bitten", "bled", "blown", "born",
	"borne", "bound", "bred", "broken", "brought", "built", "burnt", "bought", "cast", "caught", "chosen", "cut",
	"dealt", "dug", "done", "drawn", "dreamt", "driven", "drunk", "eaten", "fed", "felt", "fought", "found",
	"flung", "forbidden", "forecast", "foreseen", "forgiven", "forgotten", "frozen", "given", "gotten",
	"ground", "grown", "hung", "heard", "hidden", "hit", "held", "hurt", "kept", "knelt", "known", "laid", "led",
	"learnt", "left", "lent", "let", "lit", "lost", "made", "meant", "met", "mistaken", "misunderstood", "mown",
	"overcome", "overdone", "overheard", "overlooked", "overridden", "overrun", "overseen", "overtaken",
	"overthrown", "paid", "proven", "put", "quit", "read", "rebuilt", "redone", "remade", "rewritten", "rid",
	"ridden", "rung", "run", "said", "sawn", "seen", "sought", "sold", "sent", "set", "sewn", "shaken", "shorn",
	"shot", "shown", "shrunk", "shut", "slain", "slit", "sown", "spoken", "sped", "spent", "spilt", "spun",
	"spat", "split", "spread", "sprung", "stolen", "stuck", "stung", "struck", "strung", "sworn", "swept",
	"swollen", "swung", "taken", "taught", "torn", "told", "thought", "thrown", "thrust", "trodden",
	"understood", "undertaken", "undone", "upheld", "upset", "withdrawn", "withheld", "woken", "worn",
	"woven", "won", "wound", "written", "wrung", "outdone", "outgrown", "underpaid", "undersold", "unwound",
	"mislaid", "misled", "misread", "mistook", "input", "output", "broadcast", "offset", "reset", "preset",
	"rerun", "resold", "retold", "rethought", "uploaded", "downloaded")

var passiveNL = sync.OnceValue(func() *passiveClauseLang {
	return (&passiveClauseLang{
		aux: newLexSet("word", "wordt", "worden", "werd", "werden"),
		// Zijn + participle ("is geschreven") is the perfect of the passive as
		// much as a state ("is gesloten"); like Yoast, only worden counts.
		auxState:   newLexSet(),
		possessive: "zijn",
		infMarker:  newLexSet("te"),
		subjects:   newLexSet("we", "wij", "ze", "zij", "jullie", "er", "u", "hier", "daar", "nu", "dan", "al", "ook", "niet"),
		stateExcep: newLexSet(
			// perfect tense with zijn
			"gekomen", "gegaan", "geweest", "geworden", "gebleven", "gestorven", "geboren", "gevallen", "gevlogen",
			"gelopen", "gereden", "gezwommen", "gereisd", "gevlucht", "gebeurd", "geslaagd", "gelukt", "mislukt",
			"gestegen", "gedaald", "gegroeid", "gekrompen", "verdwenen", "verschenen", "ontstaan", "vertrokken",
			"begonnen", "gestopt", "opgehouden", "geland", "veranderd", "verhuisd", "overleden", "ontsnapt",
			"gebleken", "toegenomen", "afgenomen", "opgegroeid", "opgestaan", "teruggekomen", "aangekomen",
			"thuisgekomen", "binnengekomen", "langsgekomen", "meegekomen", "uitgekomen", "voorgekomen",
			"overgekomen", "ingegaan", "uitgegaan", "doorgegaan", "meegegaan", "opgegaan", "vergaan", "ontgaan",
			"gestart", "geëindigd", "geëvolueerd", "gearriveerd", "vergeten", "afgestudeerd", "getrouwd",
			"gescheiden", "doorgebroken", "opgevallen", "meegevallen", "tegengevallen", "ingeschreven",
			// adjectives and states
			"geschikt", "gezond", "gereed", "gewend", "gewoon", "gelegen", "gelijk", "geleden", "bekend", "verliefd",
			"verplicht", "bereid", "beroemd", "geïnteresseerd", "gemotiveerd", "verbaasd", "ontevreden",
			"betrokken", "gespecialiseerd", "gevestigd", "ingewikkeld", "gemiddeld", "verantwoord", "bevoegd",
			"vertrouwd", "verwant", "geliefd", "gehaast", "gespannen", "geschrokken", "verslaafd", "gerust",
			"geduldig", "gelukkig", "geopend", "gesloten", "benieuwd", "bedroefd", "beducht", "beschaamd", "bevreesd",
			"verheugd", "verbaasd", "verzekerd"),
		notPart: newLexSet(
			// ge- nouns, adjectives and infinitives
			"gebied", "geld", "gezicht", "gewicht", "gerecht", "gedicht", "geluid", "gevecht", "gebit", "gezond",
			"geduld", "genot", "gemiddeld", "gereed", "gevolgen", "gebouwen", "gebieden", "gerechten", "gedachten",
			"gesprekken", "gezichten", "geluiden", "gevaren", "gemeenten", "gebreken", "geschenken", "geheimen",
			"gewoonten", "getallen", "gewichten", "gebeden", "gedichten", "genen", "gebruiken", "geven", "geloven",
			"genieten", "gebeuren", "gelden", "geleiden", "genezen", "gedogen", "gehoorzamen", "gelukken", "geraken",
			"gedenken", "geschieden", "getuigen", "gelijken", "gewennen", "gaan", "gewoon",
			"geleden", "gelegenheden", "gerust", "geest", "geesten", "gemeen", "gebed", "gevoelen",
			"gezin", "gezinnen", "gevangenen", "gewest", "gewesten", "gemak", "gebaren",
			// be-, ver-, ont-, her-, er- words that are not participles
			"bereid", "verkeerd", "bekend", "beroemd", "verwant", "verstand", "bestand", "verband", "besluit",
			"bezit", "beleid", "bericht", "beeld", "beest", "beurt", "verbod", "verwijt", "ernst", "erfgoed", "eruit",
			"herfst", "herkomst", "ontbijt", "ontvangst", "bestuur", "bedrijf", "bezoek", "verbond", "verlet",
			"bestanden", "berichten", "beelden", "bedrijven", "besluiten", "bent", "best", "beste", "verst",
			"verliefd", "verplicht", "bewust", "bereikt", "bevat", "betekent", "bestaat", "begint", "verwacht",
			"verlaat", "betaalt", "verkoopt", "vertelt", "verandert", "ontstaat", "herhaalt", "bedoelt"),
		softBounds: newLexSet("en", "of", "maar"),
		finite: newLexSet("heb", "hebt", "heeft", "hebben", "had", "hadden", "kan", "kunt", "kunnen", "kon", "konden",
			"moet", "moeten", "moest", "moesten", "zal", "zult", "zullen", "zou", "zouden", "wil", "wilt", "willen",
			"wilde", "wilden", "gaat", "gaan", "ging", "gingen", "mag", "mogen", "mocht", "komt", "komen", "kwam",
			"blijft", "blijven", "bleef", "doet", "doen", "deed", "krijgt", "krijgen", "kreeg", "staat", "staan"),
		bounds: newLexSet("want", "dat", "omdat", "doordat", "zodat", "als", "wanneer", "terwijl",
			"die", "welke", "waar", "waardoor", "waarbij", "waarmee", "waarin", "hoewel", "toen", "nadat", "voordat",
			"zodra", "tenzij", "indien", "mits", "wat", "wie", "hoe", "waarom", "zoals", "sinds", "totdat", "dus"),
		subord: newLexSet("dat", "omdat", "doordat", "zodat", "als", "wanneer", "terwijl", "die", "welke", "waar",
			"waardoor", "waarbij", "waarmee", "waarin", "hoewel", "toen", "nadat", "voordat", "zodra", "tenzij",
			"indien", "mits", "wat", "wie", "hoe", "waarom", "zoals", "sinds", "totdat", "of"),
		determiner: newLexSet("de", "het", "een", "deze", "dit", "die", "dat", "onze", "ons", "uw", "je", "jouw",
			"mijn", "hun", "haar", "geen", "veel", "alle", "elk", "elke", "ieder", "iedere", "welk", "welke",
			"twee", "drie", "vier", "vijf", "enkele", "sommige", "meer", "minder", "weinig", "zijn"),
		separable: []string{"aan", "af", "bij", "door", "in", "mee", "na", "om", "onder", "op", "over", "terug",
			"toe", "uit", "uiteen", "vast", "voor", "voorbij", "weg", "samen", "tegen", "vrij", "los", "neer",
			"rond", "achter", "binnen", "buiten", "open", "dicht", "klaar", "teweeg", "thuis", "tussen", "heen",
			"langs", "goed", "schoon", "stil", "tot", "mis", "kapot", "bekend", "stop", "vol"},
		insep: []string{"be", "ver", "ont", "her", "er"},
		strongEn: newLexSet("beschreven", "verkregen", "ontvangen", "verboden", "ontnomen", "verkozen", "bedreven",
			"verbonden", "verschoven", "besproken", "beloofd", "bevolen", "verzonden", "verstuurd", "verworven",
			"ontworpen", "verheven", "herschreven", "verweven", "bevroren", "verbroken", "ontbonden", "betrokken",
			"verscholen", "verdreven", "verslagen", "verstoten", "verzwegen", "bezweken", "verweten", "ontdoken",
			"bestreden", "vergeven", "vervangen", "benoemd", "ondernomen", "overgenomen", "ingenomen", "onderschreven",
			"overwonnen", "ondersteund", "onderzocht", "overwogen", "ondertekend", "onderhouden", "onderbroken"),
	}).build()
})

var passiveDE = sync.OnceValue(func() *passiveClauseLang {
	return (&passiveClauseLang{
		aux: newLexSet("werde", "wirst", "wird", "werden", "werdet", "wurde", "wurdest", "wurden", "wurdet",
			"würde", "würdest", "würden", "würdet", "worden"),
		auxState:  newLexSet(),
		infMarker: newLexSet("zu"),
		notPart: newLexSet("gehen", "geben", "gelten", "gewinnen", "genießen", "gehören", "geschehen", "gestalten",
			"gewähren", "gefallen", "genügen", "gelingen", "gewöhnen", "gebrauchen", "gedenken", "gebären", "gestehen",
			"gewährleisten", "genehmigen", "gefährden", "gerade", "gegen", "gestern", "genug", "gern", "gerne",
			"genau", "gesamt", "gesund", "gerecht", "geheim", "gemeinsam", "gemäß", "gewiss", "gleich", "geht",
			"gibt", "gehe", "gebe", "gelangen", "geraten", "geeignet", "geworden", "gewesen", "gewohnt", "gelegen",
			"geschickt", "gescheit", "gewandt", "bestimmt", "bekannt", "beliebt", "berühmt", "bereit", "verrückt",
			"verwandt", "bereits", "erst", "ernst", "bereitet", "beginnt", "besteht", "bietet", "bleibt", "enthält",
			"entsteht", "erreicht", "versteht", "verlangt", "braucht", "gedacht", "gesagt", "gehabt", "gekannt",
			"bekommen", "erhalten", "vergessen", "vertreten", "übertragen", "gefahren", "gekommen", "gegangen"),
		softBounds: newLexSet("und", "oder", "aber"),
		finite: newLexSet("hat", "haben", "habe", "hast", "habt", "hatte", "hatten", "kann", "können", "konnte",
			"muss", "müssen", "musste", "soll", "sollen", "sollte", "will", "wollen", "wollte", "darf", "dürfen",
			"mag", "ist", "sind", "war", "waren", "bin", "bist", "geht", "gehen", "kommt", "kommen", "bleibt", "gibt"),
		bounds: newLexSet("denn", "dass", "weil", "wenn", "als", "ob", "obwohl", "während",
			"nachdem", "bevor", "damit", "sodass", "welcher", "welche", "welches", "wo", "wie",
			"was", "wer", "sondern", "falls", "sobald", "seitdem", "indem"), // not seit, bis: mostly prepositions
		subord: newLexSet("dass", "weil", "wenn", "als", "ob", "obwohl", "während", "nachdem", "bevor", "damit",
			"sodass", "welcher", "welche", "welches", "wo", "wie", "was", "wer", "falls", "sobald", "seitdem",
			"indem"),
		determiner: newLexSet("der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
			"eines", "kein", "keine", "unser", "unsere", "ihr", "ihre", "sein", "seine", "mein", "meine", "dein", "deine"),
		separable: []string{"ab", "an", "auf", "aus", "bei", "dar", "durch", "ein", "fest", "fort", "her", "hin",
			"los", "mit", "nach", "vor", "weg", "weiter", "zu", "zurück", "zusammen", "um", "bekannt", "frei",
			"hoch", "statt", "teil", "vorbei", "voran", "herunter", "heraus", "hinaus", "hinein", "herein"},
		insep: []string{"be", "ver", "ent", "er", "zer", "emp", "miss", "über", "unter", "hinter", "wider"},
		strongEn: newLexSet("beschrieben", "verstanden", "entschieden", "betrieben", "vertrieben", "verschoben",
			"versprochen", "besprochen", "beschlossen", "verbunden", "empfohlen", "befohlen", "entworfen", "verworfen",
			"erworben", "verliehen", "vermieden", "betroffen", "übernommen", "unternommen", "vernommen", "entnommen",
			"überwiesen", "bewiesen", "verwiesen", "zerbrochen", "unterbrochen", "unterschrieben", "überschrieben",
			"angeboten", "verboten", "verloren", "erzogen", "bezogen", "entzogen", "vollzogen", "verzogen",
			"beschnitten", "geschrieben", "überarbeitet", "unterstützt", "untersucht"),
		german: true,
	}).build()
})

var passiveFR = sync.OnceValue(func() *passiveRomanceLang {
	return &passiveRomanceLang{
		aux: newLexSet("est", "sont", "était", "étaient", "été", "être", "sera", "seront", "serait", "seraient",
			"suis", "es", "sommes", "êtes", "fut", "furent", "soit", "soient", "étant", "serons", "serez", "étais"),
		adverbs: newLexSet("pas", "ne", "n'", "très", "bien", "déjà", "souvent", "toujours", "jamais", "aussi", "plus",
			"encore", "parfois", "désormais", "tous", "toutes", "tout", "alors", "donc", "ensuite", "mal", "trop", "en",
			"effet", "ainsi", "généralement", "entièrement"),
		irregular: newLexSet(lexInflect("fr", []string{"fait", "écrit", "dit", "pris", "mis", "vendu", "connu", "reçu",
			"perçu", "vu", "lu", "offert", "ouvert", "couvert", "découvert", "produit", "construit", "conduit", "traduit",
			"réduit", "détruit", "introduit", "inclus", "exclu", "fini", "choisi", "rempli", "établi", "garanti", "suivi",
			"servi", "réussi", "saisi", "investi", "réuni", "tenu", "obtenu", "maintenu", "soutenu", "retenu", "contenu",
			"attendu", "entendu", "rendu", "perdu", "défendu", "répandu", "étendu", "battu", "combattu", "résolu",
			"peint", "atteint", "éteint", "craint", "joint", "rejoint", "acquis", "conquis", "compris", "appris",
			"surpris", "promis", "permis", "soumis", "admis", "commis", "transmis", "émis", "remis", "bâti", "nourri",
			"puni", "trahi", "envahi", "fourni", "défini", "élu", "interdit", "prédit", "décrit", "inscrit", "prescrit",
			"souscrit", "transcrit", "reconnu", "conçu", "aperçu", "déçu", "prévu", "revu", "pourvu", "vécu", "requis",
			"résolu", "dissous", "inscrit", "équipé"})...),
		endings: []string{"é", "ée", "és", "ées"},
		notPart: newLexSet(lexInflect("fr", []string{"allé", "venu", "arrivé", "parti", "né", "mort", "devenu", "resté",
			"tombé", "entré", "sorti", "monté", "descendu", "retourné", "revenu", "rentré", "passé", "décédé", "apparu",
			"intervenu", "parvenu", "survenu", "advenu", "qualité", "sécurité", "société", "santé", "beauté", "liberté",
			"communauté", "activité", "priorité", "réalité", "possibilité", "nécessité", "vérité", "identité",
			"efficacité", "capacité", "majorité", "nouveauté", "clé", "thé", "café", "côté", "été", "idée", "année",
			"journée", "soirée", "durée", "musée", "lycée", "pensée", "armée", "vallée", "randonnée", "matinée",
			"employé", "marché", "degré", "gré", "désolé", "âgé", "doué", "dévoué", "privé", "aisé"})...),
		reflexive: newLexSet("se", "me", "te", "nous", "vous", "s'", "m'", "t'"),
		advSuffix: "ment",
	}
})

var passiveES = sync.OnceValue(func() *passiveRomanceLang {
	return &passiveRomanceLang{
		aux: newLexSet("es", "son", "era", "eran", "fue", "fueron", "será", "serán", "sería", "serían", "sido", "ser",
			"siendo", "sea", "sean", "fuera", "fueran", "fuese", "fuesen", "soy", "eres", "somos", "fui", "fuimos"),
		adverbs: newLexSet("no", "muy", "ya", "siempre", "nunca", "también", "bien", "mal", "más", "menos", "todavía",
			"aún", "luego", "casi", "tan"),
		irregular: newLexSet(lexInflect("es", []string{"escrito", "hecho", "dicho", "visto", "puesto", "abierto",
			"cubierto", "roto", "vuelto", "resuelto", "impreso", "descubierto", "devuelto", "propuesto", "compuesto",
			"expuesto", "dispuesto", "provisto", "satisfecho", "deshecho", "frito", "preso", "electo", "absuelto",
			"revuelto", "envuelto", "inscrito", "descrito", "prescrito", "suscrito", "previsto", "rehecho", "repuesto",
			"impuesto", "supuesto", "opuesto", "antepuesto"})...),
		endings: []string{"ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"},
		notPart: newLexSet("nada", "cada", "lado", "lados", "vida", "vidas", "comida", "medida", "salida", "bebida",
			"partida", "partido", "sentido", "nido", "ruido", "olvido", "mercado", "abogado", "abogada", "soldado",
			"cuidado", "helado", "grado", "estado", "pasado", "ido", "sido", "todo", "apellido", "vestido", "marido",
			"candidato", "candidata", "herida", "llegada", "entrada", "jornada", "mirada", "morada", "década",
			"posada", "tirada", "ensalada", "empanada", "almohada", "cantidad", "privado", "privada", "delicado",
			"delicada", "adecuado", "adecuada", "agrado", "conocido", "querido", "querida", "muerto", "muerta",
			"muertos", "muertas", "demasiado", "demasiada", "demasiados", "demasiadas"),
		reflexive:   newLexSet(),
		clauseStops: newLexSet("que", "y", "e", "o", "u", "pero", "cuando", "si", "donde", "como", "porque", "quien", "quienes", "cual", "cuales", "aunque", "mientras"),
		advSuffix:   "mente",
	}
})

var passiveIT = sync.OnceValue(func() *passiveRomanceLang {
	return &passiveRomanceLang{
		// Only the unambiguous passives: venire + participle, the compound
		// "è stato scritto" and the passato remoto "fu scritto". Essere +
		// participle ("è scritto", "sono gestite") is as often a state or the
		// perfect of an intransitive verb, and Yoast does not count it either.
		aux: newLexSet("fu", "furono", "stato", "stata", "stati", "state", "viene", "vengono", "veniva", "venivano",
			"venne", "vennero", "verrà", "verranno", "verrebbe", "verrebbero", "venga", "vengano", "venire", "vengo",
			"vieni", "venisse", "venissero"),
		adverbs: newLexSet("non", "già", "molto", "sempre", "mai", "anche", "ben", "bene", "più", "spesso", "ancora",
			"poi", "poco", "tutto", "tutti", "ormai", "così", "subito", "male"),
		irregular: newLexSet(lexInflect("it", []string{"fatto", "scritto", "detto", "preso", "messo", "visto", "letto",
			"aperto", "chiuso", "prodotto", "offerto", "coperto", "scoperto", "risolto", "scelto", "tolto", "rotto",
			"vinto", "spinto", "spento", "dipinto", "costretto", "diretto", "condotto", "tradotto", "ridotto",
			"introdotto", "promesso", "permesso", "ammesso", "trasmesso", "concesso", "espresso", "compreso",
			"sospeso", "acceso", "difeso", "deciso", "diviso", "ucciso", "proposto", "composto", "esposto", "imposto",
			"posto", "richiesto", "chiesto", "nascosto", "risposto", "discusso", "mosso", "rimosso", "promosso",
			"raccolto", "accolto", "assunto", "eletto", "corretto", "protetto", "distrutto", "svolto", "coinvolto",
			"rivolto", "redatto", "sconfitto", "previsto", "dato"})...),
		endings: []string{"ato", "ata", "ati", "ate", "ito", "ita", "iti", "ite", "uto", "uta", "uti", "ute"},
		notPart: newLexSet(lexInflect("it", []string{"andato", "arrivato", "partito", "venuto", "nato", "morto",
			"diventato", "rimasto", "tornato", "entrato", "uscito", "caduto", "cresciuto", "successo", "piaciuto",
			"riuscito", "salito", "sceso", "vissuto", "costato", "durato", "sembrato", "apparso", "mancato",
			"accaduto", "divenuto", "giunto", "risultato", "stato", "subito", "gratuito", "fortuito", "infinito",
			"marito", "dito", "invito", "sito", "avvocato", "mercato", "senato", "peccato", "mandato", "passato",
			"innamorato", "abituato", "ammalato", "fidanzato", "sposato", "occupato", "stanco", "preoccupato"})...),
		reflexive: newLexSet("si", "mi", "ti", "ci", "vi"),
		advSuffix: "mente",
	}
})

var passivePT = sync.OnceValue(func() *passiveRomanceLang {
	return &passiveRomanceLang{
		aux: newLexSet("é", "são", "era", "eram", "foi", "foram", "será", "serão", "seria", "seriam", "sido", "ser",
			"sendo", "seja", "sejam", "fosse", "fossem", "sou", "somos", "fui", "fomos"),
		adverbs: newLexSet("não", "muito", "já", "sempre", "nunca", "também", "bem", "mal", "mais", "menos", "ainda",
			"logo", "quase", "tão"),
		irregular: newLexSet(lexInflect("pt", []string{"feito", "escrito", "dito", "visto", "posto", "aberto", "coberto",
			"descoberto", "pago", "ganho", "gasto", "aceito", "eleito", "impresso", "suspenso", "preso", "expresso",
			"aceso", "solto", "previsto", "proposto", "composto", "exposto", "imposto", "disposto", "descrito",
			"inscrito", "prescrito", "satisfeito", "desfeito", "refeito", "entregue"})...),
		endings: []string{"ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"},
		notPart: newLexSet("nada", "cada", "lado", "lados", "vida", "vidas", "comida", "medida", "saída", "bebida",
			"partida", "partido", "sentido", "mercado", "advogado", "advogada", "soldado", "cuidado", "estado",
			"passado", "ido", "sido", "resultado", "pescado", "apelido", "vestido", "marido", "candidato",
			"candidata", "chegada", "entrada", "jornada", "década", "obrigado", "obrigada", "privado", "privada",
			// Yoast 3.6 does not count "ser (des)conectado" as passive (its
			// Portuguese participles come from a list); neither do we, so the
			// passive share stays comparable.
			"conectado", "conectada", "conectados", "conectadas", "desconectado", "desconectada", "desconectados",
			"desconectadas",
			"delicado", "delicada", "adequado", "adequada", "conhecido", "querido", "querida", "morto", "morta",
			"mortos", "mortas", "demasiado", "demasiada", "casado", "casada", "cansado", "cansada"),
		reflexive: newLexSet("se", "me", "te", "nos"),
		advSuffix: "mente",
	}
})
