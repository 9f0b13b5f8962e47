package message

// gsm7 is the GSM 03.38 basic character set; the extension table's
// characters cost two septets.
const gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
const gsm7ext = "^{}\\[~]|€\f"

// Segments returns how many SMS parts body needs: 160 GSM-7 septets or 70
// UCS-2 characters in one part, 153 or 67 per part when concatenated.
func Segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case containsRune(gsm7, r):
			septets++
		case containsRune(gsm7ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return parts(septets, 160, 153)
	}
	units := 0
	for _, r := range body {
		units++
		if r > 0xFFFF {
			units++
		}
	}
	return parts(units, 70, 67)
}

func parts(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

func containsRune(set string, r rune) bool {
	for _, c := range set {
		if c == r {
			return true
		}
	}
	return false
}
