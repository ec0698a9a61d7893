package analyze

// msgKey names one message of the catalog.
type msgKey uint16

// The messages. {0}, {1}, … are the arguments of locale.msg. Numbers come
// formatted by locale.num and locale.pct. Sentences that state a count are
// written so that they need no plural forms.
const (
	mLabelGood msgKey = iota
	mLabelOK
	mLabelPoor
	mLabelNotApplicable
	mLabelNeutral
	mLabelPositive
	mLabelNegative
	mLabelProfessional
	mLabelCasual
	mLabelMixed
	mModelSuggestion

	// readability
	mReadTextPresence
	mReadFlesch
	mReadFleschHard
	mReadSentenceGood
	mReadSentenceBad
	mReadParagraphGood
	mReadParagraphBad
	mReadSubheadShortNone
	mReadSubheadLongNone
	mReadSubheadGood
	mReadSubheadBad
	mReadPassiveGood
	mReadPassiveBad
	mReadTransitionGood
	mReadTransitionBad
	mReadConsecutiveGood
	mReadConsecutiveBad

	// SEO
	mSeoTextLength9
	mSeoTextLength6
	mSeoTextLength3
	mSeoTextLengthFar
	mSeoTextLengthVeryFar
	mSeoTitleNone
	mSeoTitleShort
	mSeoTitleLong
	mSeoTitleGood
	mSeoMetaNone
	mSeoMetaShort
	mSeoMetaLong
	mSeoMetaGood
	mSeoSingleH1Good
	mSeoSingleH1Bad
	mSeoInternalNone
	mSeoInternalNofollow
	mSeoInternalSome
	mSeoInternalGood
	mSeoOutboundNone
	mSeoOutboundNofollow
	mSeoOutboundSome
	mSeoOutboundGood
	mSeoImagesNone
	mSeoImagesGood
	mSeoKeyphraseNone
	mSeoKeyphraseNoWords
	mSeoKeyphraseGood
	mSeoKeyphraseLong
	mSeoKeyphraseTooLong
	mSeoKeyphraseFunctionWords
	mSeoDensityZero
	mSeoDensityLow
	mSeoDensityGood
	mSeoDensityHigh
	mSeoDensityTooHigh
	mSeoIntroSentence
	mSeoIntroParagraph
	mSeoIntroNone
	mSeoTitleKeyStart
	mSeoTitleKeyElsewhere
	mSeoTitleKeyWords
	mSeoTitleKeyNone
	mSeoTitleKeyNoTitle
	mSeoMetaKeyNoMeta
	mSeoMetaKeyNone
	mSeoMetaKeyGood
	mSeoMetaKeyTooMany
	mSeoSubheadShortNone
	mSeoSubheadLongNone
	mSeoSubheadNone
	mSeoSubheadGood
	mSeoSubheadFew
	mSeoSubheadMany
	mSeoSlugNone
	mSeoSlugGood
	mSeoSlugPart
	mSeoAltNoImages
	mSeoAltNoAlt
	mSeoAltNoKey
	mSeoAltGood
	mSeoAltFew
	mSeoAltMany
	mSeoCompetingGood
	mSeoCompetingBad

	// structure
	mStructMissingH1
	mStructSingleH1
	mStructMultipleH1
	mStructLevelsGood
	mStructLevelsSkipped
	mStructEmptySection
	mStructSectionLong
	mStructSectionGood
	mStructVariety
	mStructListsNone
	mStructListsGood
	mStructIntroGood
	mStructIntroShort
	mStructIntroNone
	mStructConclusionGood
	mStructConclusionNone

	// grammar
	mGramModelNeeded
	mGramBracketUnclosed
	mGramBracketUnclosedBefore
	mGramBracketUnopened
	mGramQuoteAlone
	mGramQuoteUnclosed
	mGramQuoteUnopened
	mGramDoubleSpace
	mGramSpaceBefore
	mGramRepeatedPunct
	mGramMissingSpace
	mGramCapital
	mGramLongSentence
	mGramMisspelling
	mGramMisspellingQuel
	mGramRepeatedWord
	mGramVerbForm
	mGramArticleAn
	mGramArticleA
	mGramThanThen
	mGramCouldOf
	mGramComparativeAls

	// tone and sentiment
	mToneAllCaps
	mToneMultipleExcl
	mToneMixedAddress
	mToneExclamations
	mToneRegisterNone
	mToneRegister
	mToneRegisterMixed
	mToneHype
	mSentUnsupported
	mSentNegative
	mSentPositive

	numMsgs
)
