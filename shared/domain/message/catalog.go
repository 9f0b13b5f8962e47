package message

import (
	"strings"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

// question is how one survey kind is asked in one language.
type question struct {
	Ask       string // {org} and {owner} are replaced
	Low, High string // labels of the scale's ends
	SMSAsk    string
}

// Catalog is every customer-facing string in one language.
type Catalog struct {
	Lang      string
	Questions map[survey.Kind]question
	Subject   string // {org}
	Reminder  string // subject prefix for the one reminder
	Greeting  string // {name}
	Intro     string
	PickScore string
	Footer    string // why they get it and how to stop
	Unsub     string
	// Survey page.
	PageTitle, Comment, Send, Thanks, ThanksBody, Chosen, Closed, ClosedBody string
	ScoreLegend, NoScore                                                     string
	// Unsubscribe page.
	UnsubTitle, UnsubBody, UnsubButton, UnsubDone string
	// SMS replies.
	SMSThanks, SMSHelp, SMSStopped, SMSUnclear, SMSNoSurvey, SMSOutOfRange string
	SMSStopHint                                                            string
	// Yes/no labels for the recovery check.
	Yes, No string
}

var catalogs = map[string]Catalog{
	"en": {
		Lang: "en",
		Questions: map[survey.Kind]question{
			survey.NPS:      {"How likely are you to recommend {org} to a friend or colleague?", "Not at all likely", "Extremely likely", "how likely are you to recommend {org}? Reply 0-10 (10 = extremely likely)."},
			survey.CSAT:     {"How satisfied were you with your recent experience with {org}?", "Very dissatisfied", "Very satisfied", "how satisfied were you with {org}? Reply 1-5 (5 = very satisfied)."},
			survey.CES:      {"{org} made it easy for me to handle my issue.", "Strongly disagree", "Strongly agree", "was it easy to handle your issue with {org}? Reply 1-7 (7 = very easy)."},
			survey.Recovery: {"Did {owner} put things right?", "No", "Yes", "did {owner} put things right? Reply 1 for yes, 0 for no."},
		},
		Subject: "A quick question from {org}", Reminder: "Reminder: ",
		Greeting: "Hi {name},", Intro: "Thank you for your recent conversation with us. One question, one click:",
		PickScore: "Choose a score:", Footer: "You get this because you recently contacted {org}. We ask at most once a month.",
		Unsub:     "Don't ask me again",
		PageTitle: "Your feedback", Comment: "Anything you'd like to add? (optional)", Send: "Send",
		Thanks: "Thank you", ThanksBody: "Your answer is saved. You can change it here until the survey closes.",
		Chosen: "You chose", Closed: "This survey has closed", ClosedBody: "Thank you for opening it. It can no longer be answered.",
		ScoreLegend: "Your score", NoScore: "Please choose a score.",
		UnsubTitle: "Stop surveys", UnsubBody: "Press the button and {org} will not send you surveys again.",
		UnsubButton: "Unsubscribe", UnsubDone: "Done. You will not get surveys from {org} again.",
		SMSThanks: "Thank you for your answer. Reply with a comment anytime.", SMSHelp: "{org} surveys: reply with a number to answer. Reply STOP to opt out.",
		SMSStopped:    "You're unsubscribed from {org} surveys. No more messages will be sent.",
		SMSUnclear:    "Sorry, we didn't get that. Please reply with a number {min}-{max}, or STOP to opt out.",
		SMSNoSurvey:   "Thanks for your message. There is no open survey to answer right now.",
		SMSOutOfRange: "Please reply with a number from {min} to {max}.",
		SMSStopHint:   "Reply STOP to opt out",
		Yes:           "Yes", No: "No",
	},
	"es": {
		Lang: "es",
		Questions: map[survey.Kind]question{
			survey.NPS:      {"¿Qué probabilidad hay de que recomiende {org} a un amigo o colega?", "Nada probable", "Muy probable", "¿recomendaria {org}? Responda 0-10 (10 = muy probable)."},
			survey.CSAT:     {"¿Qué tan satisfecho quedó con su experiencia reciente con {org}?", "Muy insatisfecho", "Muy satisfecho", "¿quedo satisfecho con {org}? Responda 1-5 (5 = muy satisfecho)."},
			survey.CES:      {"{org} me facilitó resolver mi asunto.", "Totalmente en desacuerdo", "Totalmente de acuerdo", "¿fue facil resolver su asunto con {org}? Responda 1-7 (7 = muy facil)."},
			survey.Recovery: {"¿{owner} resolvió las cosas?", "No", "Sí", "¿{owner} resolvio las cosas? Responda 1 si, 0 no."},
		},
		Subject: "Una pregunta rápida de {org}", Reminder: "Recordatorio: ",
		Greeting: "Hola {name}:", Intro: "Gracias por su reciente conversación con nosotros. Una pregunta, un clic:",
		PickScore: "Elija una puntuación:", Footer: "Recibe esto porque contactó recientemente con {org}. Preguntamos como máximo una vez al mes.",
		Unsub:     "No volver a preguntarme",
		PageTitle: "Su opinión", Comment: "¿Algo que quiera añadir? (opcional)", Send: "Enviar",
		Thanks: "Gracias", ThanksBody: "Su respuesta se ha guardado. Puede cambiarla aquí hasta que cierre la encuesta.",
		Chosen: "Ha elegido", Closed: "Esta encuesta está cerrada", ClosedBody: "Gracias por abrirla. Ya no se puede responder.",
		ScoreLegend: "Su puntuación", NoScore: "Elija una puntuación.",
		UnsubTitle: "Dejar de recibir encuestas", UnsubBody: "Pulse el botón y {org} no le enviará más encuestas.",
		UnsubButton: "Darme de baja", UnsubDone: "Hecho. {org} no le enviará más encuestas.",
		SMSThanks: "Gracias por su respuesta.", SMSHelp: "Encuestas de {org}: responda con un numero. Responda STOP para darse de baja.",
		SMSStopped:    "Se ha dado de baja de las encuestas de {org}. No recibira mas mensajes.",
		SMSUnclear:    "No le hemos entendido. Responda con un numero {min}-{max}, o STOP para darse de baja.",
		SMSNoSurvey:   "Gracias por su mensaje. No hay ninguna encuesta abierta ahora.",
		SMSOutOfRange: "Responda con un numero del {min} al {max}.",
		SMSStopHint:   "Responda STOP para darse de baja",
		Yes:           "Sí", No: "No",
	},
	"de": {
		Lang: "de",
		Questions: map[survey.Kind]question{
			survey.NPS:      {"Wie wahrscheinlich ist es, dass Sie {org} einem Freund oder Kollegen empfehlen?", "Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich", "wuerden Sie {org} empfehlen? Antworten Sie 0-10 (10 = sehr wahrscheinlich)."},
			survey.CSAT:     {"Wie zufrieden waren Sie mit Ihrer letzten Erfahrung mit {org}?", "Sehr unzufrieden", "Sehr zufrieden", "wie zufrieden waren Sie mit {org}? Antworten Sie 1-5 (5 = sehr zufrieden)."},
			survey.CES:      {"{org} hat es mir leicht gemacht, mein Anliegen zu erledigen.", "Stimme überhaupt nicht zu", "Stimme voll zu", "war es einfach, Ihr Anliegen mit {org} zu erledigen? Antworten Sie 1-7 (7 = sehr einfach)."},
			survey.Recovery: {"Hat {owner} die Sache in Ordnung gebracht?", "Nein", "Ja", "hat {owner} die Sache in Ordnung gebracht? 1 = ja, 0 = nein."},
		},
		Subject: "Eine kurze Frage von {org}", Reminder: "Erinnerung: ",
		Greeting: "Hallo {name},", Intro: "Danke für Ihr letztes Gespräch mit uns. Eine Frage, ein Klick:",
		PickScore: "Wählen Sie eine Bewertung:", Footer: "Sie erhalten diese Nachricht, weil Sie kürzlich {org} kontaktiert haben. Wir fragen höchstens einmal im Monat.",
		Unsub:     "Nicht mehr fragen",
		PageTitle: "Ihre Meinung", Comment: "Möchten Sie etwas ergänzen? (optional)", Send: "Senden",
		Thanks: "Danke", ThanksBody: "Ihre Antwort ist gespeichert. Sie können sie hier ändern, bis die Umfrage endet.",
		Chosen: "Ihre Wahl", Closed: "Diese Umfrage ist beendet", ClosedBody: "Danke fürs Öffnen. Sie kann nicht mehr beantwortet werden.",
		ScoreLegend: "Ihre Bewertung", NoScore: "Bitte wählen Sie eine Bewertung.",
		UnsubTitle: "Keine Umfragen mehr", UnsubBody: "Drücken Sie den Knopf, und {org} schickt Ihnen keine Umfragen mehr.",
		UnsubButton: "Abmelden", UnsubDone: "Erledigt. {org} schickt Ihnen keine Umfragen mehr.",
		SMSThanks: "Danke fuer Ihre Antwort.", SMSHelp: "Umfragen von {org}: antworten Sie mit einer Zahl. STOP zum Abmelden.",
		SMSStopped:    "Sie sind von den Umfragen von {org} abgemeldet. Sie erhalten keine Nachrichten mehr.",
		SMSUnclear:    "Das haben wir nicht verstanden. Bitte antworten Sie mit einer Zahl {min}-{max} oder STOP zum Abmelden.",
		SMSNoSurvey:   "Danke fuer Ihre Nachricht. Gerade ist keine Umfrage offen.",
		SMSOutOfRange: "Bitte antworten Sie mit einer Zahl von {min} bis {max}.",
		SMSStopHint:   "STOP zum Abmelden",
		Yes:           "Ja", No: "Nein",
	},
}

// Languages lists the languages with templates.
func Languages() []string { return []string{"en", "es", "de"} }

// For returns the catalog for a BCP 47 locale ("es-MX" → es), English when
// the language has no templates.
func For(locale string) Catalog {
	lang, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	if c, ok := catalogs[lang]; ok {
		return c
	}
	return catalogs["en"]
}

// Fill replaces {placeholders} in s.
func Fill(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
