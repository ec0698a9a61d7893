package analyze

import (
	"math"
	"slices"
)

// section is the text under one subheading, or before the first.
type section struct {
	heading *Block // nil for text before the first subheading (an H1 is the title, not a subheading)
	words   int    // words of body text
	blocks  int    // body blocks
	span    Span   // from the heading (or first block) to the last block
	first   *Block // first body block
	last    *Block // last body block
}

// sections splits the document at its headings.
func sections(d *Doc) []section {
	var out []section
	cur := section{span: Span{-1, -1}}
	flush := func() {
		if cur.heading != nil || cur.words > 0 {
			out = append(out, cur)
		}
	}
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockHeading {
			flush()
			cur = section{span: Span{-1, -1}}
			if b.Level > 1 {
				cur.heading = b
				cur.span = Span{b.Start, b.End}
			}
			continue
		}
		if b.Kind == BlockCode {
			continue
		}
		cur.words += blockWords(b)
		cur.blocks++
		if cur.first == nil {
			cur.first = b
			if cur.span.Start < 0 {
				cur.span.Start = b.Start
			}
		}
		cur.last = b
		cur.span.End = b.End
	}
	flush()
	return out
}

// Structure thresholds.
const (
	listSuggestMinWords = 300 // suggest a list from this many words
	introMinWords       = 15  // an introduction has at least this many words
	conclusionMinWords  = 15  // as has a concluding paragraph
	conclusionMinBlocks = 3   // documents shorter than this need no conclusion
	monotoneMinSents    = 10  // sentence rhythm is judged from this many sentences
	monotoneMaxStdDev   = 3.0 // words; below this the rhythm is monotonous
)

// conclusionHeadings are headings that announce a conclusion (our list).
var conclusionHeadings = setOf("conclusion conclusions summary wrap-up takeaways conclusie samenvatting afsluiting " +
	"fazit zusammenfassung schluss résumé conclusión conclusiones resumen conclusione riepilogo conclusão resumo")

// analyzeStructure checks the document's outline: heading hierarchy, the
// length of sections, paragraphs and sentences, lists, and whether it
// opens with an introduction and ends with a conclusion.
func analyzeStructure(d *Doc) Result {
	l := d.loc
	a := newAssessment()
	words := wordCount(d)
	a.figures["blocks"] = float64(len(d.Blocks))
	if words == 0 {
		return a.result(TypeStructure)
	}
	marked := d.Format != FormatText // text has no headings to check

	// Headings.
	headings, lists, listItems, paragraphs := 0, 0, 0, 0
	prevLevel := 1
	var skipped, h1s, emptyHeadings []Span
	prevList := false
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		switch b.Kind {
		case BlockHeading:
			headings++
			if b.Level == 1 {
				h1s = append(h1s, Span{b.Start, b.End})
			}
			if b.Level > prevLevel+1 {
				skipped = append(skipped, Span{b.Start, b.End})
			}
			prevLevel = b.Level
		case BlockListItem:
			listItems++
			if !prevList {
				lists++
			}
		case BlockParagraph:
			paragraphs++
		}
		prevList = b.Kind == BlockListItem
	}
	secs := sections(d)
	for _, s := range secs {
		if s.heading != nil && s.words == 0 {
			emptyHeadings = append(emptyHeadings, Span{s.heading.Start, s.heading.End})
		}
	}
	a.figures["headings"] = float64(headings)
	a.figures["h1"] = float64(len(h1s))
	a.figures["lists"] = float64(lists)
	a.figures["list_items"] = float64(listItems)
	a.figures["paragraphs"] = float64(paragraphs)
	a.figures["sections"] = float64(len(secs))

	if marked {
		switch len(h1s) {
		case 0:
			a.add("structure.missing_h1", 6, l.msg(mStructMissingH1), nil)
		case 1:
			a.add("structure.single_h1", 9, l.msg(mStructSingleH1), h1s)
		default:
			a.add("structure.multiple_h1", 3, l.msg(mStructMultipleH1, itoa(len(h1s))), h1s)
		}
		if headings > 0 {
			if len(skipped) == 0 {
				a.add("structure.skipped_heading_level", 9, l.msg(mStructLevelsGood), nil)
			} else {
				a.add("structure.skipped_heading_level", 3, l.msg(mStructLevelsSkipped, itoa(len(skipped))), skipped)
			}
		}
		if len(emptyHeadings) > 0 {
			a.add("structure.empty_section", 6, l.msg(mStructEmptySection, itoa(len(emptyHeadings))), emptyHeadings)
		}
	}

	// Sections between subheadings.
	longest := 0
	var long []Span
	var secWords []int
	for _, s := range secs {
		secWords = append(secWords, s.words)
		longest = max(longest, s.words)
		if s.words > sectionOrange {
			long = append(long, s.span)
		}
	}
	a.figures["longest_section_words"] = float64(longest)
	a.figures["median_section_words"] = median(secWords)
	if len(long) > 0 {
		a.add("structure.section_length", sectionPoints(words, 1, longest), l.msg(mStructSectionLong, itoa(sectionOrange), itoa(len(long))), long)
	} else if words > shortTextMaxLen {
		a.add("structure.section_length", 9, l.msg(mStructSectionGood, itoa(sectionOrange)), nil)
	}

	// Paragraph and sentence length distributions.
	var paraWords, sentWords []int
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockParagraph {
			paraWords = append(paraWords, blockWords(b))
		}
	}
	for _, s := range bodySentences(d) {
		sentWords = append(sentWords, len(s.Words))
	}
	a.figures["median_paragraph_words"] = median(paraWords)
	a.figures["p90_paragraph_words"] = percentile(paraWords, 90)
	a.figures["median_sentence_words"] = median(sentWords)
	a.figures["p90_sentence_words"] = percentile(sentWords, 90)
	sd := stddev(sentWords)
	a.figures["sentence_words_stddev"] = round1(sd)
	if len(sentWords) >= monotoneMinSents && sd < monotoneMaxStdDev {
		a.add("structure.sentence_variety", 6, l.msg(mStructVariety, l.num(sd)), nil)
	}

	// Lists.
	if lists == 0 && words >= listSuggestMinWords {
		a.add("structure.lists", 6, l.msg(mStructListsNone, itoa(words)), nil)
	} else if lists > 0 {
		a.add("structure.lists", 9, l.msg(mStructListsGood, itoa(lists)), nil)
	}

	// Introduction: body text before the first subheading.
	if len(secs) > 0 {
		first := secs[0]
		switch {
		case first.heading == nil && first.words >= introMinWords:
			a.add("structure.introduction", 9, l.msg(mStructIntroGood), []Span{first.span})
		case first.heading == nil:
			a.add("structure.introduction", 6, l.msg(mStructIntroShort, itoa(first.words)), []Span{first.span})
		case headings > 0:
			a.add("structure.introduction", 3, l.msg(mStructIntroNone), []Span{{first.heading.Start, first.heading.End}})
		}
	}

	// Conclusion: the last section is announced as one, or ends in a paragraph.
	if len(secs) > 0 && headings > 0 && countBodyBlocks(d) >= conclusionMinBlocks {
		last := secs[len(secs)-1]
		announced := last.heading != nil && headingIsConclusion(last.heading)
		endsInParagraph := last.last != nil && last.last.Kind == BlockParagraph && blockWords(last.last) >= conclusionMinWords
		switch {
		case announced || endsInParagraph && len(secs) > 1:
			a.add("structure.conclusion", 9, l.msg(mStructConclusionGood), []Span{last.span})
		default:
			a.add("structure.conclusion", 6, l.msg(mStructConclusionNone), nil)
		}
	}
	return a.result(TypeStructure)
}

func countBodyBlocks(d *Doc) int {
	n := 0
	for bi := range d.Blocks {
		if k := d.Blocks[bi].Kind; k != BlockHeading && k != BlockCode {
			n++
		}
	}
	return n
}

func headingIsConclusion(b *Block) bool {
	for si := range b.Sentences {
		for _, w := range b.Sentences[si].Words {
			if conclusionHeadings[w.Lower] {
				return true
			}
		}
	}
	return false
}

func median(xs []int) float64 { return percentile(xs, 50) }

// percentile returns the p-th percentile of xs by the nearest-rank method.
func percentile(xs []int, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return float64(s[rank-1])
}

func stddev(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0
	for _, x := range xs {
		sum += x
	}
	mean := float64(sum) / float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (float64(x) - mean) * (float64(x) - mean)
	}
	return math.Sqrt(v / float64(len(xs)))
}
