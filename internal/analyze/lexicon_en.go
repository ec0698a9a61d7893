package analyze

// lexiconEN is Copydesk's own English sentiment lexicon: word:polarity with
// polarity -3 (very negative) to +3 (very positive). Written for Copydesk (see DATA-LICENSES.md); it is not derived
// from AFINN, SentiWordNet, VADER's lexicon or any other list.
const lexiconEN = `
good:2 great:3 excellent:3 outstanding:3 superb:3 wonderful:3 fantastic:3 amazing:3 awesome:3 brilliant:3
perfect:3 best:3 better:2 nice:2 fine:1 pleasant:2 lovely:3 beautiful:3 gorgeous:3 elegant:2 impressive:2
remarkable:2 exceptional:3 terrific:3 marvelous:3 marvellous:3 delightful:3 enjoyable:2 fun:2 exciting:2
happy:3 happier:3 happiest:3 glad:2 pleased:2 satisfied:2 delighted:3 thrilled:3 grateful:2 thankful:2
thanks:2 thank:2 love:3 loved:3 loves:3 loving:2 liked:2 likes:1 enjoy:2 enjoyed:2 enjoys:2
appreciate:2 appreciated:2 recommend:2 recommended:2 admire:2 adore:3 favorite:2 favourite:2
easy:2 easier:2 easily:1 simple:1 simpler:1 clear:1 clearer:1 intuitive:2 convenient:2 helpful:2 useful:2
valuable:2 reliable:2 trustworthy:2 trusted:2 secure:1 safe:1 stable:1 robust:1 fast:1 faster:1 quick:1
quickly:1 efficient:2 effective:2 productive:2 powerful:2 flexible:1 smooth:2 smoothly:2 seamless:2
affordable:2 free:1 bargain:2 worth:1 worthwhile:2 quality:1 premium:1 solid:1 strong:1 friendly:2
 generous:2 honest:2 fair:1 responsive:2 supportive:2  professional:1 competent:2
knowledgeable:2 skilled:1 talented:2 creative:2 innovative:1 clever:2 smart:1 fresh:1
comfortable:2 cozy:2 relaxing:2 calm:1 peaceful:2 healthy:2 positive:2 optimistic:2 hopeful:2 confident:2
success:2 successful:2 succeed:2 succeeded:2 win:2 wins:2 won:2 winner:2 winning:2 achieve:1 achieved:2
achievement:2 accomplish:2 accomplished:2 improve:1 improved:2 improvement:2 improves:1 benefit:2
benefits:2 beneficial:2 advantage:2 gain:1 gains:1 growth:1 grow:1 profit:1 profitable:2 progress:2
opportunity:2 opportunities:2 solution:1 solved:2 solve:1 resolved:2 fixed:1
celebrate:2 celebrated:2 congratulations:3 congrats:3 welcome:2 welcomed:2 praise:2 praised:2 reward:2
rewarding:2 inspiring:2 inspired:2 motivated:2 proud:2 excited:2 eager:1 passionate:2 dedicated:1
wow:2 yay:2 hooray:3 bravo:3 incredible:3 phenomenal:3 stunning:3 spectacular:3 magnificent:3 splendid:3
superior:2 unmatched:2 top-notch:3 first-class:3 world-class:3 flawless:3 spotless:2 ideal:2
satisfying:2 satisfaction:2 joy:3 joyful:3 pleasure:2 fortunate:2 lucky:2 blessed:2 cheerful:2 warm:1
charming:2 cute:2 adorable:3 fabulous:3 glorious:3 heavenly:3 superbly:3 wonderfully:3 beautifully:3
nicely:2 properly:1 correctly:1 accurate:2 precise:1 thorough:1 careful:1 attentive:2
bad:-2 worse:-2 worst:-3 poor:-2 poorly:-2 terrible:-3 horrible:-3 awful:-3 dreadful:-3 atrocious:-3
disgusting:-3 nasty:-2 ugly:-2 unpleasant:-2 annoying:-2 annoyed:-2 irritating:-2 irritated:-2
frustrating:-2 frustrated:-2 frustration:-2 disappointing:-2 disappointed:-2 disappointment:-2
sad:-2 unhappy:-2 upset:-2 angry:-3 furious:-3 mad:-2 hate:-3 hated:-3 hates:-3 hateful:-3 dislike:-2
disliked:-2 despise:-3 regret:-2 regrets:-2 sorry:-1 unfortunately:-1 unfortunate:-2 sadly:-2
problem:-2 problems:-2 problematic:-2 issue:-1 issues:-1 trouble:-2 troubles:-2 difficult:-1 difficulty:-1
 complicated:-1 complex:-1 confusing:-2 confused:-2 unclear:-1 messy:-2 chaotic:-2 chaos:-2
slow:-1 slower:-1 sluggish:-2 laggy:-2 buggy:-2 bug:-1 bugs:-1 broken:-2 break:-1 breaks:-1 crash:-2
crashed:-2 crashes:-2 fail:-2 failed:-2 fails:-2 failure:-2 failing:-2 error:-1 errors:-1 mistake:-2
mistakes:-2 wrong:-2 faulty:-2 defective:-2 damaged:-2 damage:-2 useless:-3 worthless:-3 pointless:-2
expensive:-1 overpriced:-2 costly:-1 waste:-2 wasted:-2 wasteful:-2 scam:-3 fraud:-3 fake:-2
cheat:-3 cheated:-3 lied:-2 lies:-2 dishonest:-3 unreliable:-2 untrustworthy:-3 insecure:-2
unsafe:-2 dangerous:-2 risk:-1 risky:-2 threat:-2 threats:-2 vulnerable:-1 harm:-2 harmful:-2 hurt:-2
pain:-2 painful:-2 suffer:-2 suffering:-2 stress:-2 stressful:-2 stressed:-2 worry:-2 worried:-2
worries:-2 fear:-2 afraid:-2 scared:-2 scary:-2 anxious:-2 anxiety:-2 panic:-2 nervous:-1 concern:-1
concerns:-1 concerned:-1 doubt:-1 doubts:-1 skeptical:-1 sceptical:-1 complaint:-2 complaints:-2
complain:-2 complained:-2 rude:-2 unfriendly:-2 unhelpful:-2 incompetent:-3 lazy:-2 careless:-2
negligent:-2 ignored:-2 ignore:-1 neglected:-2 unacceptable:-3 outrageous:-3 ridiculous:-2 absurd:-2
stupid:-2 dumb:-2 silly:-1 boring:-2 bored:-2 dull:-2 tedious:-2 tiresome:-2 tired:-1 exhausting:-2
exhausted:-2 weak:-1 fragile:-1 flimsy:-2 inferior:-2 mediocre:-1 lacking:-1
lack:-1 missing:-1 lost:-1 lose:-1 loses:-1 losing:-2 loss:-2 losses:-2 decline:-1 declined:-1
delay:-1 delayed:-1 delays:-1 late:-1 cancel:-1 cancelled:-1 canceled:-1 crisis:-3
disaster:-3 disastrous:-3 catastrophe:-3 catastrophic:-3 nightmare:-3 tragic:-3 tragedy:-3 horrific:-3
terrifying:-3 miserable:-3 misery:-3 depressing:-2 depressed:-2 hopeless:-3 helpless:-2 lonely:-2
guilty:-2 shame:-2 ashamed:-2 embarrassing:-2 embarrassed:-2 awkward:-1 uncomfortable:-2 sick:-2
ill:-2 disease:-2 dirty:-2 filthy:-3 smelly:-2 noisy:-1 crowded:-1 cramped:-1 rough:-1 harsh:-2
cruel:-3 evil:-3 wicked:-2 violent:-3 violence:-3 attack:-2 attacked:-2 kill:-3 killed:-3 death:-2
dead:-2 die:-2 died:-2 abuse:-3 abused:-3 steal:-2 stolen:-2 theft:-2 crime:-2 criminal:-2 illegal:-2
deny:-1 denied:-1 reject:-2 rejected:-2 refuse:-1 refused:-2 blocked:-1 stuck:-2 trapped:-2
struggle:-2 struggled:-2 struggling:-2 fight:-1 conflict:-2 argue:-1 angry:-3 hostile:-2 aggressive:-2
blame:-2 blamed:-2 criticize:-2 criticise:-2 criticized:-2 criticised:-2 criticism:-2 condemn:-2
poorly-made:-2 low-quality:-2 second-rate:-2 overrated:-2 underwhelming:-2 unimpressive:-2
inconvenient:-2 cumbersome:-2 clunky:-2 outdated:-1 obsolete:-2 unstable:-2 unusable:-3 unreadable:-2
hassle:-2 headache:-2 rip-off:-3 ripoff:-3 no-show:-2 spam:-2 spammy:-2 junk:-2
garbage:-3 trash:-2 crap:-3 sucks:-3 suck:-2 meh:-1 lame:-2 bleak:-2 grim:-2 gloomy:-2 dire:-2 severe:-2
`
