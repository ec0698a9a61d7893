package analyze

import "testing"

func TestPassiveVoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, text string
		want       bool
	}{
		// English: be + participle, adverbs in between, irregulars.
		{"en", "The report was written by the team.", true},
		{"en", "The files are uploaded automatically.", true},
		{"en", "Mistakes were made.", true},
		{"en", "The house has been sold.", true},
		{"en", "Your data is not shared with third parties.", true},
		{"en", "The results will be published tomorrow.", true},
		{"en", "It's done.", true},
		{"en", "The decision was quickly taken.", true},
		{"en", "The team wrote the report.", false},
		{"en", "She is a great writer.", false},
		{"en", "We are excited about the launch.", false},
		{"en", "The sky was red.", false},
		{"en", "They were in the garden.", false},
		{"en", "We need a hundred volunteers.", false},
		{"en", "John's finished project impressed everyone.", false},
		{"en", "He is interested in design.", false},
		{"en", "The tool is used by thousands of teams.", true},
		{"en", "This template is used to create invoices.", true},
		{"en", "I am used to working late.", false},
		{"en", "We are used to it.", false},
		{"en", "Access is limited to five users.", true},
		// Dutch: worden/zijn + voltooid deelwoord, either order; zijn-verbs excluded.
		{"nl", "Het boek wordt door de auteur geschreven.", true},
		{"nl", "De website werd vorig jaar volledig vernieuwd.", true},
		{"nl", "Ik weet dat het rapport gisteren verstuurd werd.", true},
		{"nl", "Het pakket is bezorgd.", false}, // zijn + participle is not counted (as Yoast)
		{"nl", "De bestanden worden automatisch opgeslagen.", true},
		{"nl", "Uw gegevens worden niet gedeeld.", true},
		{"nl", "Het bedrijf is in 2010 opgericht.", false}, // zijn + participle is not counted (as Yoast)
		{"nl", "De aanvraag wordt binnen een week beoordeeld.", true},
		{"nl", "Hij is gisteren naar huis gegaan.", false},
		{"nl", "Zij is in Utrecht geboren.", false},
		{"nl", "De prijzen zijn flink gestegen.", false},
		{"nl", "Dit product is geschikt voor kinderen.", false},
		{"nl", "Hij heeft zijn werk gedaan.", false},
		{"nl", "De gevolgen zijn groot.", false},
		{"nl", "Wij schrijven elke week een nieuw artikel.", false},
		{"nl", "Het wordt tijd voor iets nieuws.", false},
		{"nl", "Het weer wordt beter.", false},
		{"nl", "Wij zijn blij u te helpen met uw vraag.", false},
		{"nl", "Er zijn verschillende mogelijkheden.", false},
		{"nl", "Het is belangrijk om het bestand op te geven.", false},
		{"nl", "Wij zijn blij u te ontvangen.", false},
		{"nl", "Fiets onderhouden hoeft niet moeilijk te zijn.", false},
		{"nl", "Een fiets die goed onderhouden wordt, rijdt lichter.", true},
		{"nl", "De meeste stroom wordt tussen april en september opgewekt.", true},
		{"nl", "Houd er rekening mee dat de omvormer vervangen moet worden.", true},
		{"nl", "Wij zijn trots en hebben veel gedaan.", false},
		{"nl", "Ik ben benieuwd naar uw mening.", false},
		{"nl", "Ze zijn verrast door de resultaten.", false},        // zijn + participle is not counted (as Yoast)
		{"nl", "Dit is bedoeld voor beginners.", false},             // zijn + participle is not counted (as Yoast)
		{"nl", "Het huis is groot en de tuin is aangelegd.", false}, // zijn + participle is not counted (as Yoast)
		// German: werden + Partizip II.
		{"de", "Das Haus wird renoviert.", true},
		{"de", "Die Daten wurden gestern gelöscht.", true},
		{"de", "Der Brief ist geschrieben worden.", true},
		{"de", "Ich weiß, dass das Paket morgen geliefert wird.", true},
		{"de", "Sie wird morgen nach Berlin gehen.", false},
		{"de", "Er wird bestimmt kommen.", false},
		{"de", "Das Wetter wird besser.", false},
		{"de", "Wir haben das Haus gekauft.", false},
		{"de", "Der Strom wird zwischen April und September erzeugt.", true},
		{"de", "Wir sind stolz und haben viel gemacht.", false},
		// French: être + participe passé; être-verbs excluded.
		{"fr", "Le rapport est rédigé par l'équipe.", true},
		{"fr", "Les données sont stockées en Europe.", true},
		{"fr", "La maison a été vendue.", true},
		{"fr", "Le livre est écrit en français.", true},
		{"fr", "Elle est arrivée hier.", false},
		{"fr", "Ils se sont lavés.", false},
		{"fr", "C'est une bonne idée.", false},
		{"fr", "La qualité est importante.", false},
		// Spanish: ser + participio.
		{"es", "El informe fue escrito por el equipo.", true},
		{"es", "Los datos son almacenados en Europa.", true},
		{"es", "La casa ha sido vendida.", true},
		{"es", "Esto es nada.", false},
		{"es", "Ella es muy inteligente.", false},
		// Italian: essere/venire + participio.
		{"it", "Il libro è stato scritto da lui.", true},
		{"it", "I dati vengono salvati in Europa.", true},
		{"it", "La casa fu venduta.", true},
		{"it", "Lei è andata a Roma.", false},
		{"it", "Il servizio è gratuito.", false},
		// Portuguese: ser + particípio.
		{"pt", "O relatório foi escrito pela equipe.", true},
		{"pt", "Os dados são armazenados na Europa.", true},
		{"pt", "A casa foi vendida.", true},
		{"pt", "Ela é muito inteligente.", false},
		// Unknown language: never.
		{"sv", "Boken skrevs av honom.", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			t.Parallel()
			parseLang := tt.lang
			if parseLang == "sv" {
				parseLang = "en" // Parse rejects it; the rule must too
			}
			s := mustSentence(t, parseLang, tt.text)
			if got := passiveVoice(tt.lang, s); got != tt.want {
				t.Errorf("passiveVoice(%q, %q) = %v, want %v", tt.lang, tt.text, got, tt.want)
			}
		})
	}
}

func TestPassiveVoiceNil(t *testing.T) {
	t.Parallel()
	if passiveVoice("en", nil) {
		t.Error("passiveVoice(nil) = true, want false")
	}
	if passiveVoice("en", &Sentence{}) {
		t.Error("passiveVoice(empty) = true, want false")
	}
}
