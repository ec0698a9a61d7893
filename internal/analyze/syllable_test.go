package analyze

import "testing"

func TestSyllables(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]int{
		"en": {"cat": 1, "table": 2, "tables": 2, "make": 1, "makes": 1, "free": 1, "readability": 5, "beautiful": 3,
			"wanted": 2, "jumped": 1, "radio": 3, "media": 3, "social": 2, "nation": 2, "boxes": 2, "pages": 2,
			"syllable": 3, "variable": 4, "actual": 3, "quality": 3, "yes": 1, "people": 2, "2024": 0, "gpl": 0, "a": 1, "eye": 1},
		"nl": {"kat": 1, "koffie": 2, "leesbaarheid": 3, "fiets": 1, "politie": 3, "coördinatie": 5, "ideeën": 3,
			"geïnteresseerd": 5, "mogelijke": 4, "nieuw": 1, "eeuw": 1, "tijd": 1, "reünie": 3, "radio": 3, "zee": 1},
		"de": {"haus": 1, "häuser": 2, "schön": 1, "katze": 2, "spaziergang": 3, "lesbarkeit": 3, "radio": 3,
			"theater": 3, "feuer": 2, "bäume": 2, "idee": 2, "über": 2},
		"fr": {"chat": 1, "maison": 2, "belle": 1, "promenade": 3, "journée": 2, "tables": 1, "beaucoup": 2,
			"naïf": 2, "lisibilité": 5, "moment": 2},
		"es": {"gato": 2, "alfombra": 3, "paseo": 3, "día": 2, "ciudad": 2, "legibilidad": 5, "poeta": 3,
			"muy": 1, "queso": 2, "país": 2, "y": 1, "hoy": 1},
		"it": {"gatto": 2, "giornata": 3, "leggibilità": 5, "paese": 3, "aereo": 4, "passeggiata": 4, "ciao": 1},
		"pt": {"gato": 2, "tapete": 3, "legibilidade": 6, "não": 1, "põe": 1, "coração": 3, "saúde": 3, "boa": 2, "área": 3},
	}
	for lang, words := range tests {
		for w, want := range words {
			t.Run(lang+"/"+w, func(t *testing.T) {
				if got := syllables(lang, w); got != want {
					t.Errorf("syllables(%q, %q): got %d, want %d", lang, w, got, want)
				}
			})
		}
	}
}
