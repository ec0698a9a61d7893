package analyze

import (
	"math/bits"
	"strings"
)

// Function words per language, for offline detection and for telling a
// keyphrase's content words apart, written for Copydesk (no third-party
// list): articles, pronouns, prepositions, conjunctions, auxiliaries and
// modals, interrogatives, and the general adjectives and delexical verbs
// ("made", "besser", "new") that do not name a topic in a keyphrase. A
// word may belong to several
// languages; each of them gets a point.
var functionWordLists = map[string]string{
	"nl": "de het een en van in is dat op te zijn voor met niet aan er om ook als bij maar door naar dan wat nog wel worden wordt werd hij zij ze wij we jij je u uw ik mijn onze ons deze dit die hun heeft hebben had kunnen kan zal zou moet meer geen over uit tot ook zo hoe waar omdat want dus waarom wie welke welk wanneer ben bent waren mag mogen moeten zullen mijn jouw haar hem men zich jullie beter best goed nieuw nieuwe oud oude groot grote klein kleine maken maakt gemaakt",
	"en": "the and of to a in is that it for on with as was are be by this at from or an have has had not but they you your we our he she his her their which will would can could should there been were what when who more all about into than them these those its if do does so no why how where which whose whom my mine yours hers ours theirs did doing done am being may might must shall me him us them what's it's i made make makes making get gets got take takes took give gives gave new old good better best great",
	"de": "der die das und ist nicht ein eine einen einem einer zu den dem des mit sich auf für von im auch es an werden wird wurde sind sie ich wir ihr du dass als wie bei oder aus nach noch nur um kann können haben hat hatte sein war über unser ihre ihren mehr schon wenn aber diese dieser was warum wer welche welcher welches wo wann bin bist waren darf dürfen muss müssen soll sollen will wollen mein meine dein deine seine unsere euer eure man besser beste gut gute neu neue alt alte groß große klein kleine machen macht gemacht",
	"fr": "le la les de des du un une et est en que qui dans pour pas sur au aux avec ce cette ces il elle ils nous vous je tu ne se sont être avoir ont a par plus mais ou son sa ses leur leurs comme tout très aussi été fait peut sans qu'est-ce quoi pourquoi comment où quand quel quelle quels quelles suis était étaient sera peuvent doit doivent mon ma mes ton ta tes notre nos votre vos ceci cela c'est meilleur meilleure bon bonne nouveau nouvelle vieux grand grande petit petite faire fait",
	"es": "el la los las de del un una y es en que por para con no se su sus al lo como más pero o este esta estos son está están ser ha han fue muy también sin sobre entre cuando hasta usted ustedes nosotros yo tú le les porque qué cuál cuáles quién quiénes cómo dónde cuándo soy eres era eran será puede pueden debe deben mi mis tu tus nuestro nuestra nuestros nuestras mejor mejores bueno buena nuevo nueva viejo grande pequeño pequeña hacer hecho",
	"it": "il lo la i gli le di del della dei delle un una e è in che per con non si su al alla come più ma o questo questa sono essere ha hanno anche molto tra fra nel nella dal dalla ci lei noi voi io tu se perché cosa cos'è chi quale quali dove quando era erano sarà può possono deve devono mio mia miei mie tuo tua suo sua nostro nostra vostro vostra loro migliore migliori buono buona nuovo nuova vecchio grande piccolo piccola fare fatto",
	"pt": "o a os as de do da dos das um uma e é em que para com não se por no na nos nas ao à como mais mas ou este esta isso são ser tem têm foi muito também sem sobre entre quando você vocês nós eu seu sua pelo pela qual quais quem onde porquê sou era eram será pode podem deve devem meu minha meus minhas teu tua nosso nossa melhor melhores bom boa novo nova velho grande pequeno pequena fazer feito",
}

// langBit assigns each supported language a bit, in SupportedLanguages order.
var langBit = func() map[string]uint8 {
	m := map[string]uint8{}
	for i, l := range SupportedLanguages {
		m[l] = 1 << i
	}
	return m
}()

// functionWords maps a lower-case function word to the bits of the
// languages it belongs to.
var functionWords = func() map[string]uint8 {
	m := map[string]uint8{}
	for lang, list := range functionWordLists {
		for _, w := range strings.Fields(list) {
			m[w] |= langBit[lang]
		}
	}
	return m
}()

// detectMaxWords bounds the words examined: a few hundred are plenty.
const detectMaxWords = 600

// detectLanguage guesses the language of d from the frequency of each
// language's function words, with a small bonus for letters and endings
// only some languages use. Without any evidence it answers "en".
func detectLanguage(d *Doc) string {
	var score [8]float64
	n := 0
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			for _, w := range d.Blocks[bi].Sentences[si].Words {
				n++
				if w.Lower[0] >= 0x80 || len(w.Lower) > 3 {
					letterCues(w.Lower, &score)
				}
				if mask := functionWords[w.Lower]; mask != 0 {
					// Words shared by several languages count less.
					share := float64(bits.OnesCount8(mask))
					for i := range SupportedLanguages {
						if mask&(1<<i) != 0 {
							score[i] += 1 / share
						}
					}
				}
				if n%100 == 0 && (n >= detectMaxWords || clearLead(&score)) {
					return SupportedLanguages[leader(&score)]
				}
			}
		}
	}
	return SupportedLanguages[leader(&score)]
}

// leader returns the index of the highest score, "en" without evidence.
func leader(score *[8]float64) int {
	best, bestScore := 1, 0.0 // "en"
	for i := range SupportedLanguages {
		if score[i] > bestScore {
			best, bestScore = i, score[i]
		}
	}
	return best
}

// clearLead reports whether the leading language is so far ahead that more
// words will not change the outcome: at least 30 points and three times the
// runner-up.
func clearLead(score *[8]float64) bool {
	first, second := 0.0, 0.0
	for i := range SupportedLanguages {
		switch x := score[i]; {
		case x > first:
			first, second = x, first
		case x > second:
			second = x
		}
	}
	return first >= 30 && first >= 3*second
}

// Indexes into the score array, in SupportedLanguages order.
const (
	iNL = iota
	iEN
	iDE
	iFR
	iES
	iIT
	iPT
)

// letterCues adds small scores for letters and word endings typical of
// one or two of the languages: they decide short texts with few function
// words ("Über uns", "Niño pequeño").
func letterCues(w string, score *[8]float64) {
	const cue = 0.4
	for i, r := range w {
		switch r {
		case 'ß', 'ä':
			score[iDE] += cue
		case 'ö', 'ü':
			score[iDE] += cue / 2
		case 'ñ':
			score[iES] += cue
		case 'ã', 'õ':
			score[iPT] += cue
		case 'ç':
			score[iPT] += cue / 2
			score[iFR] += cue / 2
		case 'œ', 'û', 'î', 'ë', 'ï':
			score[iFR] += cue / 2
		case 'ì', 'ò':
			score[iIT] += cue
		case 'j':
			if i > 0 && w[i-1] == 'i' {
				score[iNL] += cue // ij
			}
		}
	}
	switch {
	case strings.HasSuffix(w, "zione"), strings.HasSuffix(w, "zioni"):
		score[iIT] += cue
	case strings.HasSuffix(w, "ção"), strings.HasSuffix(w, "ções"):
		score[iPT] += cue
	case strings.HasSuffix(w, "ción"), strings.HasSuffix(w, "ciones"):
		score[iES] += cue
	case strings.HasSuffix(w, "heid"), strings.HasSuffix(w, "lijk"):
		score[iNL] += cue
	case strings.HasSuffix(w, "ung"), strings.HasSuffix(w, "keit"):
		score[iDE] += cue
	}
}
