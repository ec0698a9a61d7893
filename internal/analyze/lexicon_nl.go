package analyze

// lexiconNL is Copydesk's own Dutch sentiment lexicon: word:polarity with
// polarity -3 (very negative) to +3 (very positive). Adjectives also match their attributive -e form ("goede");
// irregular forms are listed. Written for Copydesk (see DATA-LICENSES.md);
// not derived from any other list.
const lexiconNL = `
goed:2 goeie:2 beter:2 betere:2 beste:3 prima:2 uitstekend:3 voortreffelijk:3 fantastisch:3
geweldig:3 prachtig:3 mooi:2 fraai:2 schitterend:3 briljant:3 perfect:3 perfecte:3 super:2 top:2
heerlijk:3 lekker:2 fijn:2 aangenaam:2 leuk:2 gezellig:2 plezierig:2 prettig:2 tof:2 toffe:2 gaaf:2
gave:2 sterk:1 knap:2 indrukwekkend:2 opmerkelijk:1 bijzonder:2 uniek:1 verrassend:1 uitzonderlijk:2
blij:2 gelukkig:3 tevreden:2 dankbaar:2 opgetogen:3 enthousiast:2 trots:2 vrolijk:2 opgewekt:2 verheugd:2
bedankt:2 dank:2 dankjewel:2 bedankjes:2 hartelijk:2 vriendelijk:2 aardig:2 lief:2 lieve:2 behulpzaam:2
attent:2 zorgzaam:2 geduldig:1 eerlijk:2 betrouwbaar:2 veilig:1 stabiel:1 degelijk:1 solide:1
professioneel:1 deskundig:2 vakkundig:2 competent:2 bekwaam:2 slim:1 handig:2 nuttig:2
waardevol:2 bruikbaar:1 effectief:2 efficiënt:2 productief:2 krachtig:2 flexibel:1 snel:1 snelle:1
vlot:1 soepel:2 moeiteloos:2 makkelijk:2 gemakkelijk:2 eenvoudig:1 simpel:1 duidelijk:1 overzichtelijk:2
intuïtief:2 gebruiksvriendelijk:2 comfortabel:2 rustig:1 ontspannen:2 kalm:1 gezond:2 netjes:1
voordelig:2 betaalbaar:2 goedkoop:1 gratis:1 waard:1 kwaliteit:1 succes:2 succesvol:2 geslaagd:2
gelukt:2 winnen:2 gewonnen:2 winst:1 groei:1 groeien:1 vooruitgang:2 verbetering:2 verbeterd:2
verbeteren:1 oplossing:1 opgelost:2 voordeel:2 voordelen:2 kans:1 kansen:1 aanrader:3 aanbevolen:2
aanbevelen:2 aanraden:2 genieten:2 genoten:2 geniet:2 dol:2 fan:2 liefde:3
plezier:2 vreugde:3 geluk:3 blijdschap:3 genot:2 feest:2 gefeliciteerd:3 proficiat:3 welkom:2 bravo:3
hoera:3 mooiste:3 leukste:3 fijnste:3 lekkerste:3 sterkste:2 innovatief:1 creatief:2 origineel:1
fris:1 warm:1 sfeervol:2 charmant:2 sympathiek:2 schattig:2 inspirerend:2 geïnspireerd:2 gemotiveerd:2
positief:2 optimistisch:2 hoopvol:2 zelfverzekerd:2 correct:1 nauwkeurig:2 zorgvuldig:2
grondig:1 klantvriendelijk:2 servicegericht:2 snelst:2 ideaal:2
slecht:-2 slechter:-2 slechtst:-3 slechtste:-3 beroerd:-2 belabberd:-2 waardeloos:-3 waardeloze:-3
vreselijk:-3 verschrikkelijk:-3 afschuwelijk:-3 gruwelijk:-3 walgelijk:-3 smerig:-2 vies:-2 lelijk:-2
vervelend:-2 irritant:-2 ergerlijk:-2 geïrriteerd:-2 frustrerend:-2 gefrustreerd:-2 teleurstellend:-2
teleurgesteld:-2 teleurstelling:-2 jammer:-1 helaas:-1 spijtig:-2 sorry:-1 verdrietig:-2 droevig:-2
ongelukkig:-2 ontevreden:-2 boos:-2 kwaad:-2 woedend:-3 razend:-3 haat:-3 haten:-3 hekel:-2 balen:-2
baal:-2 probleem:-2 problemen:-2 problematisch:-2 kwestie:-1 moeilijk:-1 moeilijke:-1 lastig:-1 lastige:-1
ingewikkeld:-1 complex:-1 onduidelijk:-2 verwarrend:-2 rommelig:-2 chaotisch:-2 chaos:-2 traag:-2
trage:-2 langzaam:-1 langzame:-1 kapot:-2 defect:-2 beschadigd:-2 schade:-2 fout:-2 fouten:-2
foutmelding:-2 mislukt:-2 mislukking:-2 faalt:-2 falen:-2 gefaald:-2 crash:-2 crasht:-2 gecrasht:-2
storing:-2 storingen:-2 onbruikbaar:-3 nutteloos:-3 nutteloze:-3 zinloos:-2 dure:-1
overprijsd:-2 prijzig:-1 verspilling:-2 verspild:-2 oplichting:-3 oplichter:-3 oplichters:-3 nep:-2
bedrog:-3 bedrogen:-3 gelogen:-2 leugen:-2 leugens:-2 oneerlijk:-3 onbetrouwbaar:-2 onveilig:-2
gevaarlijk:-2 gevaar:-2 risico:-1 risicovol:-2 bedreiging:-2 kwetsbaar:-1 schadelijk:-2 pijn:-2
pijnlijk:-2 lijden:-2 stress:-2 stressvol:-2 bezorgd:-1 ongerust:-2 angst:-2 bang:-2 eng:-2
paniek:-2 nerveus:-1 twijfel:-1 twijfels:-1 klacht:-2 klachten:-2 klagen:-2 geklaagd:-2 onbeleefd:-2
onvriendelijk:-2 brutaal:-2 onbeschoft:-3 incompetent:-3 lui:-2 slordig:-2 nalatig:-2 genegeerd:-2
onacceptabel:-3 onaanvaardbaar:-3 belachelijk:-2 absurd:-2 dom:-2 stom:-2 saai:-2 vermoeiend:-2
moe:-1 uitgeput:-2 zwak:-1 zwakke:-1 breekbaar:-1 middelmatig:-1 matig:-1 gebrek:-1
ontbreekt:-1 ontbreken:-1 kwijt:-1 verloren:-1 verlies:-2 verliezen:-2 daling:-1 gedaald:-1 vertraging:-1
vertraagd:-1 geannuleerd:-1 crisis:-3 ramp:-3 rampzalig:-3 catastrofe:-3
catastrofaal:-3 nachtmerrie:-3 tragisch:-3 tragedie:-3 ellende:-3 ellendig:-3 deprimerend:-2
depressief:-2 hopeloos:-3 hulpeloos:-2 eenzaam:-2 schuldig:-2 schaamte:-2 gênant:-2 pijnlijk:-2
ongemakkelijk:-2 ziek:-2 ziekte:-2 vuil:-2 stinkt:-2 stinkend:-2 lawaai:-1 lawaaierig:-1
krap:-1 ruw:-1 wreed:-3 kwaadaardig:-3 gewelddadig:-3 geweld:-3 aanval:-2 aangevallen:-2
dood:-2 overleden:-2 misbruik:-3 misbruikt:-3 gestolen:-2 diefstal:-2 misdaad:-2 crimineel:-2
illegaal:-2 geweigerd:-2 weigeren:-1 afgewezen:-2 geblokkeerd:-1 vastgelopen:-2 worstelen:-2
worsteling:-2 ruzie:-2 conflict:-2 vijandig:-2 agressief:-2 kritiek:-2 bekritiseerd:-2
omslachtig:-2 onhandig:-2 verouderd:-1 ouderwets:-1 instabiel:-2 onleesbaar:-2 gedoe:-2 gezeur:-2
rommel:-2 troep:-2 zooi:-2 bagger:-3 shit:-3 klote:-3 waardeloos:-3 treurig:-2 somber:-2 ernstig:-2
ernstige:-2 zwaar:-1 zware:-1 tekort:-1 tekortkoming:-2 tekortkomingen:-2 mankement:-2 mankementen:-2
`
