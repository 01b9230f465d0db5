
GGD-SEKS-2026-0093"
	999990019*GM04022Œ¾ñ×:OTijdens een spreekuur vertelde een vrouw dat zij haar verdiensten moet afstaan.B4
Gezondheid$Onbehandelde verwonding aan de pols.J6Convenant Zorg- en Veiligheidshuis Gooi en VechtstreekR2
	M. JansenVerpleegkundige"m.jansen@ggd.example