"""Deterministic, realistic listings for development databases, benchmarks and tests.

`generate(rows, seed, today)` yields the same rows for the same arguments on every run (one
`random.Random(seed)`, never the global one; vocabularies in fixed order), and a shorter run is
a prefix of a longer one. Dates are relative to `today`, which defaults to DEFAULT_TODAY (2026-11-01),
not the real date, so the output does not change from one day to the next.

Listings imitate four sites: hispasonic, guitarristas and soundmarket (Spanish titles with
accents) and reverb (English titles). Titles are built from real brands and models per category,
so a few words are very common (guitarra, fender, bajo, con) and a long tail is rare (model
codes, serial numbers, years, finishes, small brands, misspellings sellers really make).
No database code here: cli.py hands the rows to ingest.py, or write_csv writes them for `load`.
"""

from __future__ import annotations

import csv
import datetime
import math
import os
import random
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator, Sequence
from unicodedata import normalize

from .validation import FIELDS as COLUMNS

DEFAULT_TODAY = datetime.date(2026, 11, 1)

NAME_LIMIT = 500
MAX_PRICE_CENTS = 99_999_999_99  # numeric(10, 2)

# kind | Spanish noun | gender of the noun (agrees with colours) | English nouns | vocabulary group
_KINDS = """
electric        | Guitarra eléctrica       | f | electric guitar; guitar                    | guitar
acoustic        | Guitarra acústica        | f | acoustic guitar; dreadnought               | acoustic
electroacoustic | Guitarra electroacústica | f | acoustic-electric guitar; acoustic guitar  | acoustic
classical       | Guitarra clásica         | f | classical guitar; nylon string guitar      | acoustic
bass            | Bajo eléctrico           | m | bass guitar; electric bass                 | bass
digital_piano   | Piano digital            | m | digital piano; 88-key digital piano        | keys
stage_piano     | Piano de escenario       | m | stage piano; stage keyboard                | keys
workstation     | Teclado workstation      | m | workstation; workstation keyboard          | keys
keyboard        | Teclado                  | m | keyboard; arranger keyboard                | keys
organ           | Órgano                   | m | organ; drawbar organ                       | keys
synth           | Sintetizador             | m | synthesizer; synth; digital synth          | synth
analog_synth    | Sintetizador analógico   | m | analog synth; analog synthesizer; polyphonic analog synth | synth
drum_machine    | Caja de ritmos           | f | drum machine; groovebox                    | synth
sampler         | Sampler                  | m | sampler; groovebox                         | synth
drum_kit        | Batería acústica         | f | drum kit; drum set; shell pack             | drums
edrum           | Batería electrónica      | f | electronic drum kit; e-kit                 | edrums
cymbal          | Plato                    | m | cymbal                                     | cymbal
snare           | Caja                     | f | snare drum; snare                          | drums
combo           | Amplificador             | m | combo amp; guitar amp; tube combo          | amp
head            | Cabezal                  | m | amp head; tube head                        | amp
cab             | Pantalla                 | f | speaker cabinet; cab                       | amp
bass_amp        | Amplificador de bajo     | m | bass amp; bass combo                       | amp
overdrive       | Pedal overdrive          | m | overdrive pedal; overdrive                 | pedal
distortion      | Pedal de distorsión      | m | distortion pedal; distortion               | pedal
fuzz            | Pedal fuzz               | m | fuzz pedal; fuzz                           | pedal
delay           | Pedal de delay           | m | delay pedal; delay                         | pedal
reverb          | Pedal de reverb          | m | reverb pedal; reverb                       | pedal
modulation      | Pedal de modulación      | m | modulation pedal; chorus pedal; phaser     | pedal
wah             | Pedal wah                | m | wah pedal; wah                             | pedal
looper          | Pedal looper             | m | looper pedal; looper                       | pedal
tuner           | Afinador de pedal        | m | tuner pedal; tuner                         | pedal
compressor      | Pedal compresor          | m | compressor pedal; compressor               | pedal
pedal           | Pedal de efectos         | m | effects pedal; pedal                       | pedal
multifx         | Multiefectos             | m | multi-effects processor; multi-effects; amp modeler | pedal
interface       | Interfaz de audio        | f | audio interface; USB audio interface       | gear
mic             | Micrófono                | m | microphone; dynamic mic; condenser mic     | gear
monitors        | Monitores de estudio     | m | studio monitors (pair); monitors           | gear
mixer           | Mesa de mezclas          | f | mixer; mixing console                      | gear
controller      | Controlador MIDI         | m | MIDI controller; MIDI keyboard             | gear
cajon           | Cajón flamenco           | m | cajon; flamenco cajon                      | drums
ukulele         | Ukelele                  | m | ukulele; concert ukulele                   | acoustic
violin          | Violín                   | m | violin                                     | acoustic
harmonica       | Armónica                 | f | harmonica; diatonic harmonica              | wind
sax             | Saxofón alto             | m | alto saxophone; alto sax                   | wind
trumpet         | Trompeta                 | f | trumpet                                    | wind
"""

# category | kind | popularity | brand | model | variants "series median_price [xweight]" separated
# by ";" ("-" = no series; an indented line continues the one above). Within a model, variants are
# picked by weight (default 1).
_CATALOGUE = """
guitarras | electric | 30 | Fender | Stratocaster | Player 720; Player II 760; Player Plus 950;
    American Professional II 1650; American Performer 1200; American Ultra 2100; American Standard 1100;
    Vintera '60s 1050; Vintera II '50s 1100; Classic Series '60s 900; Deluxe 850;
    American Vintage II 1961 2300 x0.3; Eric Clapton 1900 x0.3; Custom Shop 1963 Relic 4200 x0.2;
    1964 pre-CBS 28000 x0.03
guitarras | electric | 20 | Fender | Telecaster | Player 700; Player II 740; American Professional II 1600;
    American Ultra 2000; Vintera '50s 1000; Deluxe 900; Thinline 950; Nashville 1200 x0.3;
    Custom Shop '52 Relic 4000 x0.2
guitarras | electric | 6 | Fender | Jazzmaster | Player 780; American Professional II 1700; Vintera '60s 1100;
    J Mascis 1300 x0.3; American Original '60s 1900 x0.3
guitarras | electric | 4 | Fender | Jaguar | Player 750; Vintera '60s 1050; Kurt Cobain 1300 x0.3
guitarras | electric | 3 | Fender | Mustang | Player 550; Offset 600
guitarras | electric | 18 | Gibson | Les Paul | Standard '50s 2300; Standard '60s 2300; Standard 2000;
    Studio 1100; Tribute 950; Classic 1700; Junior 1300; Special 1200; Traditional 1900; Custom 4500 x0.5;
    Custom Shop R9 1959 Reissue 6500 x0.2; Standard 1959 350000 x0.004
guitarras | electric | 8 | Gibson | SG | Standard 1400; Special 1100; Standard '61 1500; Faded 800;
    Junior 1100
guitarras | electric | 5 | Gibson | ES-335 | Satin 2600; Dot 2800; Figured 3500; 1964 Reissue 5500 x0.2
guitarras | electric | 3 | Gibson | Flying V | - 1700; '70s 1800
guitarras | electric | 2 | Gibson | Explorer | - 1700
guitarras | electric | 2 | Gibson | Firebird | V 2000; Studio 1400
guitarras | electric | 14 | Epiphone | Les Paul | Standard 450; Custom 550; Special II 180; Studio 350;
    Standard Plus Top Pro 480; Modern 550
guitarras | electric | 6 | Epiphone | SG | Standard 380; G-400 330; Special 170
guitarras | electric | 4 | Epiphone | Casino | - 550; Coupe 450
guitarras | electric | 3 | Epiphone | ES-335 | Dot 350; Figured 450
guitarras | electric | 12 | Ibanez | RG | RG421 350; RG550 700; RG370DX 280; RGA42FM 400; RG652 Prestige 1200;
    RG8570 J Custom 2500 x0.2
guitarras | electric | 5 | Ibanez | S | S520 350; S670QM 450; S6570 Prestige 1300
guitarras | electric | 3 | Ibanez | AZ | AZ2402 1500; AZ42P1 700
guitarras | electric | 3 | Ibanez | Artcore | AS73 300; AF75 320
guitarras | electric | 6 | PRS | Custom 24 | - 3200; SE 700; S2 1500; Wood Library 5000 x0.2
guitarras | electric | 3 | PRS | SE | Standard 24 400; Silver Sky 650; McCarty 594 800; Hollowbody II 900
guitarras | electric | 2 | PRS | Silver Sky | - 2600
guitarras | electric | 7 | Yamaha | Pacifica | 112V 200; 112J 150; 612VIIFM 550; 311H 300
guitarras | electric | 2 | Yamaha | Revstar | RSE20 450; RSS20 550
guitarras | electric | 5 | Gretsch | Electromatic | G5420T 700; G5622T 750; G2622 Streamliner 400
guitarras | electric | 2 | Gretsch | White Falcon | G6136T 3200
guitarras | electric | 2 | Gretsch | Duo Jet | G6128T 2400
guitarras | electric | 10 | Squier | Stratocaster | Bullet 120; Affinity 200; Classic Vibe '50s 380;
    Classic Vibe '60s 380; Contemporary 380; Sonic 170
guitarras | electric | 5 | Squier | Telecaster | Affinity 200; Classic Vibe '50s 380; Classic Vibe Custom 390
guitarras | electric | 2 | Squier | Jazzmaster | Classic Vibe '60s 380; Paranormal 350
guitarras | electric | 3 | Cort | G | G110 140; G250 250; G290 FAT 450
guitarras | electric | 2 | Cort | KX | KX300 350; KX500 500
guitarras | electric | 5 | Schecter | Hellraiser | C-1 800; C-7 850; Hybrid C-1 900
guitarras | electric | 3 | Schecter | Omen | Extreme-6 400
guitarras | electric | 2 | Schecter | Sun Valley Super Shredder | FR 1000
guitarras | electric | 4 | Jackson | Soloist | SL2 1100; JS32 350; Pro Series SL2M 1100
guitarras | electric | 3 | Jackson | Dinky | JS22 220; X Series DK2X 450
guitarras | electric | 3 | ESP | LTD EC-1000 | - 850; Deluxe 900
guitarras | electric | 2 | ESP | Eclipse | E-II 2200
guitarras | electric | 2 | Music Man | Axis | - 2200
guitarras | electric | 2 | Music Man | Cutlass | HSS 2000
guitarras | electric | 2 | Rickenbacker | 330 | - 2700
guitarras | electric | 2 | Harley Benton | ST-62 | - 90; Deluxe 120
guitarras | electric | 2 | Harley Benton | SC-450 | - 180
guitarras | electric | 2 | Charvel | Pro-Mod San Dimas | Style 1 900
guitarras | electric | 1 | Danelectro | '59M | NOS+ 400
guitarras | electric | 1 | Duesenberg | Starplayer TV | - 2000
guitarras | electric | 2 | Tokai | Love Rock | LS-136 700; LS-80 550
guitarras | electric | 1 | Hagström | Viking | - 650
guitarras | acoustic | 8 | Martin | D-28 | - 2700; Standard 2900; Authentic 1937 5500 x0.2
guitarras | acoustic | 3 | Martin | D-18 | - 2300
guitarras | acoustic | 3 | Martin | 000-15M | - 1300
guitarras | acoustic | 2 | Martin | LX1 | Little Martin 280
guitarras | electroacoustic | 5 | Taylor | 214ce | - 1050; Deluxe 1300; Plus 1200
guitarras | electroacoustic | 3 | Taylor | 314ce | - 1900
guitarras | electroacoustic | 2 | Taylor | 814ce | - 3500
guitarras | acoustic | 2 | Taylor | GS Mini | Mahogany 550; e Koa 750
guitarras | acoustic | 6 | Yamaha | FG800 | - 190
guitarras | acoustic | 4 | Yamaha | F310 | - 120
guitarras | electroacoustic | 4 | Yamaha | APX600 | - 230
guitarras | electroacoustic | 3 | Yamaha | FSX800C | - 260
guitarras | acoustic | 3 | Gibson | J-45 | Standard 2400; Studio 1700
guitarras | acoustic | 2 | Gibson | Hummingbird | Standard 3300
guitarras | electroacoustic | 3 | Takamine | GD30CE | - 400
guitarras | electroacoustic | 1 | Takamine | EF341SC | - 1100
guitarras | acoustic | 3 | Fender | CD-60S | - 170
guitarras | electroacoustic | 2 | Fender | Newporter | Player 300
guitarras | electroacoustic | 3 | Ibanez | AEG50 | - 300
guitarras | acoustic | 2 | Guild | D-40 | - 1100
guitarras | acoustic | 2 | Cort | Earth 70 | - 180
guitarras | acoustic | 1 | Furch | Blue | D-CM 1300
guitarras | acoustic | 1 | Lâg | Tramontane | T118D 350; T70D 250
guitarras | electroacoustic | 2 | Epiphone | Hummingbird | Studio 350
guitarras | classical | 6 | Alhambra | 3C | - 480
guitarras | classical | 3 | Alhambra | 4P | - 600
guitarras | classical | 2 | Alhambra | 7P | Classic 900
guitarras | classical | 4 | Admira | Juanita | - 130
guitarras | classical | 2 | Admira | Virtuoso | - 300
guitarras | classical | 1 | Ramírez | 1A | - 5000 x0.3; Tradicional 6500 x0.2
guitarras | classical | 1 | Ramírez | 2NCWE | - 1600
guitarras | classical | 3 | Yamaha | C40 | II 100
guitarras | classical | 2 | Yamaha | CG182S | - 400
guitarras | classical | 2 | Esteve | 4ST | - 400
guitarras | classical | 2 | Raimundo | 118 | - 350; 660E 700
guitarras | classical | 1 | Camps | Primera | - 700
guitarras | classical | 1 | Conde Hermanos | Flamenca | A26 9000 x0.3
guitarras | classical | 1 | Cordoba | C5 | - 250
bajos | bass | 25 | Fender | Precision Bass | Player 700; American Professional II 1600; Vintera '60s 1050;
    American Performer 1200; Standard 550; American Original '60s 1900 x0.3; Custom Shop '62 Relic 4000 x0.2
bajos | bass | 22 | Fender | Jazz Bass | Player 700; American Professional II 1650; Vintera '60s 1050;
    Deluxe V 1100; American Ultra 2000; Geddy Lee 1100; Marcus Miller 1000; 1966 9000 x0.03
bajos | bass | 8 | Squier | Precision Bass | Affinity 200; Classic Vibe '60s 380; Classic Vibe '70s 380
bajos | bass | 8 | Squier | Jazz Bass | Affinity 200; Classic Vibe '70s 380; Vintage Modified 300
bajos | bass | 10 | Music Man | StingRay | - 1900; 5 2100; Special 2300; Special 5 HH 2500
bajos | bass | 6 | Sterling by Music Man | StingRay | Ray34 650; Ray4 280; SUB Ray5 350
bajos | bass | 12 | Ibanez | SR | SR300E 300; SR500E 500; SR505E 550; SR1305 Premium 1300;
    SR5005 Prestige 1900
bajos | bass | 3 | Ibanez | GSR200 | - 170
bajos | bass | 3 | Ibanez | BTB | BTB845 900; BTB745 700
bajos | bass | 5 | Yamaha | TRBX | TRBX304 280; TRBX505 500
bajos | bass | 3 | Yamaha | BB | BB234 300; BB434 450; BB734A 900
bajos | bass | 3 | Warwick | Corvette | $$ 1600; Rockbass 500
bajos | bass | 2 | Warwick | Thumb | BO 2400
bajos | bass | 3 | Rickenbacker | 4003 | - 2300; S 2300
bajos | bass | 2 | Höfner | Violin Bass | Ignition 350; 500/1 1963 2000
bajos | bass | 2 | Gibson | Thunderbird | - 1500
bajos | bass | 3 | Epiphone | Thunderbird | IV 400; Vintage Pro 550
bajos | bass | 2 | Cort | Action Bass | - 170; PJ 190
bajos | bass | 1 | Spector | Euro | 4LX 1700
bajos | bass | 1 | Fodera | Emperor | Standard 6000 x0.3
bajos | bass | 2 | Marcus Miller | V7 | Alder 400; Swamp Ash 450
bajos | bass | 1 | Lakland | Skyline | 55-02 1200
bajos | bass | 1 | Harley Benton | PB-50 | - 110
bajos | bass | 1 | G&L | L-2000 | Tribute 700
teclados | digital_piano | 20 | Yamaha | P-45 | - 330
teclados | digital_piano | 12 | Yamaha | P-125 | - 470; a 480
teclados | digital_piano | 6 | Yamaha | Clavinova | CLP-735 1700; CLP-745 2200; CLP-625 1200;
    CVP-809 5500 x0.3
teclados | digital_piano | 4 | Yamaha | Arius | YDP-145 750; YDP-165 1000; YDP-S35 800
teclados | digital_piano | 12 | Roland | FP-30 | - 500; X 550
teclados | digital_piano | 4 | Roland | FP-10 | - 350
teclados | stage_piano | 3 | Roland | RD-2000 | - 1700
teclados | digital_piano | 3 | Kawai | ES | ES110 400; ES920 1300
teclados | digital_piano | 4 | Casio | Privia | PX-S1000 450; PX-S3000 600; PX-770 550; PX-160 350
teclados | digital_piano | 2 | Casio | Celviano | AP-270 800
teclados | stage_piano | 8 | Nord | Stage 3 | 88 3300; Compact 2900; HP76 2800
teclados | stage_piano | 4 | Nord | Stage 4 | 88 4000; Compact 3500
teclados | stage_piano | 4 | Nord | Piano | 4 2300; 5 73 2700; 5 88 2900
teclados | stage_piano | 2 | Korg | SV-2 | 73 1500; 88 1600
teclados | workstation | 5 | Korg | Kronos | 2 61 2300; 2 88 2900; 73 2300
teclados | workstation | 3 | Korg | Nautilus | 61 2200; 88 2700
teclados | workstation | 4 | Yamaha | Montage | 6 2300; 7 2500; 8 2800
teclados | workstation | 3 | Yamaha | MODX | 6 1100; 7 1300; 8 1500
teclados | workstation | 2 | Yamaha | Motif | XF8 1400; XS6 800; ES7 600
teclados | workstation | 2 | Roland | Fantom | 06 1100; 7 2600; 8 3000
teclados | workstation | 2 | Korg | Krome | 61 750; EX 88 1050
teclados | keyboard | 10 | Casio | CT-S | CT-S300 130; CT-S400 190; CT-S1 200
teclados | keyboard | 7 | Yamaha | PSR | PSR-E373 170; PSR-E473 260; PSR-SX700 1100; PSR-SX900 1700;
    PSR-E463 200
teclados | keyboard | 3 | Yamaha | Genos | - 3300; 2 4000
teclados | keyboard | 2 | Korg | Pa | Pa700 1100; Pa1000 1800; Pa4X 2500
teclados | organ | 3 | Nord | Electro | 6D 61 1900; 5D 1600
teclados | organ | 2 | Hammond | XK | XK-3c 1300; XK-5 2800
teclados | organ | 1 | Hammond | B-3 | - 9000 x0.3
teclados | organ | 1 | Nord | C2D | - 3500
sintetizadores | analog_synth | 14 | Korg | Minilogue | - 400; XD 550
sintetizadores | analog_synth | 4 | Korg | Monologue | - 220
sintetizadores | analog_synth | 5 | Korg | MS-20 | Mini 480; FS 900; 1978 1800 x0.1
sintetizadores | analog_synth | 3 | Korg | Prologue | 8 1200; 16 1600
sintetizadores | synth | 4 | Korg | Wavestate | - 600; mkII 800
sintetizadores | synth | 3 | Korg | opsix | - 550
sintetizadores | synth | 3 | Korg | Volca | Bass 130; Keys 120; FM 130; Sample 2 130; Modular 130; Drum 130
sintetizadores | analog_synth | 6 | Moog | Subsequent 37 | - 1500; CV 1700
sintetizadores | analog_synth | 3 | Moog | Minimoog | Model D 4000; Model D 1975 9000 x0.1
sintetizadores | analog_synth | 4 | Moog | Grandmother | - 800
sintetizadores | analog_synth | 3 | Moog | Mother-32 | - 500
sintetizadores | analog_synth | 2 | Moog | Matriarch | - 1700
sintetizadores | analog_synth | 2 | Moog | Sub Phatty | - 700
sintetizadores | synth | 12 | Arturia | MicroFreak | - 280
sintetizadores | analog_synth | 8 | Arturia | MiniBrute | - 330; 2 450; 2S 480
sintetizadores | analog_synth | 4 | Arturia | MatrixBrute | - 1400
sintetizadores | analog_synth | 3 | Arturia | PolyBrute | - 2200; 12 2800
sintetizadores | drum_machine | 2 | Arturia | DrumBrute | Impact 250
sintetizadores | analog_synth | 6 | Roland | Juno-106 | - 2200
sintetizadores | analog_synth | 2 | Roland | Juno-60 | - 3800
sintetizadores | synth | 6 | Roland | JD-Xi | - 380
sintetizadores | synth | 3 | Roland | JD-Xa | - 800
sintetizadores | synth | 3 | Roland | Juno-DS | 61 600; 88 850
sintetizadores | synth | 2 | Roland | Jupiter-X | - 1800
sintetizadores | synth | 1 | Roland | Jupiter-Xm | - 900
sintetizadores | analog_synth | 1 | Roland | Jupiter-8 | - 45000 x0.1
sintetizadores | analog_synth | 2 | Roland | SH-101 | - 1800
sintetizadores | drum_machine | 4 | Roland | TR-8S | - 550
sintetizadores | drum_machine | 1 | Roland | TR-808 | - 6000 x0.2
sintetizadores | synth | 2 | Roland | System-8 | - 900
sintetizadores | analog_synth | 8 | Behringer | Deepmind | 12 550; 6 400; 12D 500
sintetizadores | analog_synth | 6 | Behringer | Model D | - 230
sintetizadores | analog_synth | 4 | Behringer | Crave | - 160
sintetizadores | analog_synth | 3 | Behringer | Pro-1 | - 250
sintetizadores | analog_synth | 3 | Behringer | MS-1 | - 300
sintetizadores | analog_synth | 2 | Behringer | Poly D | - 550
sintetizadores | drum_machine | 2 | Behringer | RD-8 | - 300; MkII 350
sintetizadores | analog_synth | 5 | Novation | Bass Station | II 350
sintetizadores | synth | 4 | Novation | Peak | - 1200
sintetizadores | synth | 3 | Novation | Summit | - 1800
sintetizadores | synth | 2 | Novation | MiniNova | - 200
sintetizadores | analog_synth | 3 | Sequential | Prophet-6 | - 2600
sintetizadores | analog_synth | 2 | Sequential | OB-6 | - 2800
sintetizadores | analog_synth | 2 | Sequential | Take 5 | - 1200
sintetizadores | analog_synth | 1 | Sequential Circuits | Prophet-5 | Rev 3 9000 x0.3
sintetizadores | synth | 5 | Elektron | Digitone | - 600; Keys 900
sintetizadores | drum_machine | 4 | Elektron | Digitakt | - 550; II 800
sintetizadores | synth | 2 | Elektron | Analog Four | MKII 1000
sintetizadores | synth | 2 | Yamaha | DX7 | - 700
sintetizadores | synth | 2 | Yamaha | Reface | DX 300; CS 300; YC 280; CP 300
sintetizadores | synth | 3 | Waldorf | Blofeld | - 450; Keyboard 650
sintetizadores | synth | 1 | Waldorf | Iridium | - 2500
sintetizadores | synth | 2 | Nord | Lead | A1 1300; 4 1600
sintetizadores | synth | 1 | Access | Virus | TI2 1500; C 800
sintetizadores | sampler | 3 | Akai | MPC | One 500; Live II 950; X 1500; 2000XL 600 x0.3
sintetizadores | sampler | 2 | Teenage Engineering | OP-1 | - 1200; field 1800
baterias | drum_kit | 14 | Pearl | Export | - 550; EXX 650; EXL 750
baterias | drum_kit | 5 | Pearl | Masters | Maple Complete 2000; MCT 1600
baterias | drum_kit | 3 | Pearl | Decade | Maple 900
baterias | drum_kit | 3 | Pearl | Roadshow | - 400
baterias | drum_kit | 12 | Tama | Imperialstar | - 750
baterias | drum_kit | 5 | Tama | Superstar | Classic 1000; Hyper-Drive 900
baterias | drum_kit | 3 | Tama | Starclassic | Walnut/Birch 2600; Performer 2200
baterias | drum_kit | 3 | DW | Collector's | Maple 4500
baterias | drum_kit | 2 | DW | Design Series | - 2200
baterias | drum_kit | 2 | DW | Performance | - 2800
baterias | drum_kit | 3 | Yamaha | Stage Custom | Birch 800
baterias | drum_kit | 2 | Yamaha | Rydeen | - 450
baterias | drum_kit | 2 | Yamaha | Recording Custom | - 3000
baterias | drum_kit | 3 | Ludwig | Classic Maple | - 2500
baterias | drum_kit | 2 | Ludwig | Breakbeats | - 400
baterias | drum_kit | 1 | Ludwig | Vistalite | - 2000 x0.3
baterias | drum_kit | 3 | Gretsch | Catalina | Maple 900; Club 700
baterias | drum_kit | 2 | Sonor | AQ2 | - 1000
baterias | drum_kit | 1 | Sonor | SQ2 | - 3500
baterias | drum_kit | 2 | Mapex | Mars | - 650
baterias | drum_kit | 1 | Mapex | Armory | - 1000
baterias | edrum | 12 | Roland | TD-17 | KV 1200; KVX 1500; K 1000
baterias | edrum | 4 | Roland | TD-07 | KV 700; DMK 600
baterias | edrum | 3 | Roland | TD-27 | KV 2500
baterias | edrum | 2 | Roland | VAD | 506 4000; 307 2800
baterias | edrum | 8 | Alesis | Nitro | Mesh 300; Max 350
baterias | edrum | 4 | Alesis | Surge | Mesh 450
baterias | edrum | 3 | Alesis | Strike | Pro SE 1300
baterias | edrum | 2 | Yamaha | DTX | DTX402K 400; DTX6K-X 1100
baterias | edrum | 2 | Millenium | MPS-850 | - 550
baterias | cymbal | 10 | Zildjian | A Custom | Crash 16" 170; Crash 18" 200; Ride 20" 280; Hi-Hat 14" 300
baterias | cymbal | 8 | Zildjian | K | Dark Crash Thin 16" 250; Ride 20" 380; Sweet Crash 18" 290;
    Custom Dark Ride 22" 420
baterias | cymbal | 3 | Zildjian | K Constantinople | Medium Ride 22" 550
baterias | cymbal | 6 | Sabian | AAX | X-Plosion Crash 18" 220; Stage Ride 20" 270
baterias | cymbal | 5 | Sabian | HHX | Evolution Crash 16" 260; Complex Ride 22" 420
baterias | cymbal | 3 | Sabian | B8X | Set 180
baterias | cymbal | 5 | Meinl | Byzance | Traditional Ride 20" 330; Dark Crash 18" 250;
    Extra Dry Hi-Hat 14" 300
baterias | cymbal | 3 | Meinl | HCS | Set 130
baterias | cymbal | 3 | Paiste | 2002 | Crash 18" 250; Ride 20" 300; Sound Edge Hi-Hat 15" 350
baterias | cymbal | 2 | Paiste | PST 7 | Set 300
baterias | cymbal | 2 | Istanbul Agop | Traditional | Ride 22" 380
baterias | snare | 4 | Ludwig | Supraphonic | LM400 14x5 400; LM402 14x6.5 450; Black Beauty 800
baterias | snare | 3 | Pearl | Sensitone | Steel 14x5 200
baterias | snare | 2 | Tama | S.L.P. | Black Brass 14x6.5 350
amplificadores | combo | 12 | Fender | Blues Junior | IV 480; III 450; Lacquered Tweed 500
amplificadores | combo | 6 | Fender | Hot Rod Deluxe | IV 700; III 650
amplificadores | combo | 5 | Fender | Deluxe Reverb | '65 Reissue 1200; Tone Master 800
amplificadores | combo | 3 | Fender | Twin Reverb | '65 Reissue 1350; Tone Master 950
amplificadores | combo | 3 | Fender | Princeton Reverb | '68 Custom 1000
amplificadores | combo | 4 | Fender | Mustang | LT25 140; GTX50 270
amplificadores | head | 10 | Marshall | JCM800 | 2203 1500; 2204 1450; 2203 1982 2200 x0.3
amplificadores | head | 4 | Marshall | JCM900 | 4100 800
amplificadores | head | 3 | Marshall | JVM410H | - 1400
amplificadores | head | 3 | Marshall | Plexi | 1959SLP 1700; 1987X 1400
amplificadores | combo | 4 | Marshall | DSL | DSL40CR 650; DSL20CR 450; DSL5C 300
amplificadores | combo | 3 | Marshall | Origin | 20C 430; 50H 550
amplificadores | cab | 4 | Marshall | 1960A | - 750
amplificadores | combo | 12 | Vox | AC30 | C2 900; S1 700; HW2 1500; Top Boost 1963 5000 x0.05
amplificadores | combo | 5 | Vox | AC15 | C1 600; HW1 1200
amplificadores | combo | 3 | Vox | Pathfinder | 10 60
amplificadores | combo | 14 | Boss | Katana | 50 MkII 230; 100 MkII 330; 100/212 MkII 420; Artist MkII 550;
    Mini 80; Head MkII 330; 50 Gen 3 260
amplificadores | combo | 2 | Boss | Nextone | Stage 350
amplificadores | head | 6 | Orange | Rockerverb | 50 MkIII 1700
amplificadores | head | 4 | Orange | Tiny Terror | - 350
amplificadores | combo | 4 | Orange | Crush | 20 110; 35RT 200; Pro 120 600
amplificadores | head | 3 | Orange | OR15 | - 550
amplificadores | cab | 3 | Orange | PPC212 | - 600
amplificadores | head | 4 | Mesa Boogie | Dual Rectifier | - 1700
amplificadores | combo | 3 | Mesa Boogie | Mark V | 25 1500; 90 2300
amplificadores | head | 3 | Peavey | 6505 | - 900; + 950
amplificadores | combo | 3 | Peavey | Classic 30 | - 550
amplificadores | head | 2 | ENGL | Powerball | II 1400
amplificadores | head | 2 | EVH | 5150III | 50W 1200; Stealth 1100
amplificadores | head | 2 | Friedman | BE-100 | - 1900; Deluxe 2200
amplificadores | combo | 2 | Roland | JC-120 | - 800
amplificadores | combo | 2 | Laney | Cub | 12R 250; Super 12 350
amplificadores | combo | 2 | Yamaha | THR | 10II 270; 30II Wireless 500; 5 150
amplificadores | combo | 2 | Blackstar | HT-5R | MkII 300
amplificadores | combo | 2 | Blackstar | ID:Core | 20 V3 130; 40 V3 200
amplificadores | combo | 2 | Line 6 | Spider V | 60 MkII 200
amplificadores | head | 1 | Kemper | Profiler | Head 1300; Stage 1400; Rack 1300
amplificadores | bass_amp | 5 | Ampeg | SVT | Classic 1600; SVT-7 Pro 900; Micro-VR 500
amplificadores | bass_amp | 3 | Ampeg | Rocket | BA-108 V2 180; BA-112 300; RB-210 550
amplificadores | bass_amp | 3 | Markbass | Little Mark | III 650; 250 Black Line 450
amplificadores | bass_amp | 3 | Fender | Rumble | 40 200; 100 300; 500 550
amplificadores | bass_amp | 2 | Hartke | HD | HD500 400; HD150 250
amplificadores | bass_amp | 2 | Orange | Terror Bass | - 550
amplificadores | bass_amp | 2 | Aguilar | Tone Hammer | 500 650
amplificadores | bass_amp | 1 | Gallien-Krueger | MB | 500 500
efectos | distortion | 12 | Boss | DS-1 | - 45; Keeley mod 90; 1980 Made in Japan 150 x0.1
efectos | overdrive | 8 | Boss | SD-1 | - 50
efectos | overdrive | 6 | Boss | BD-2 | Blues Driver 60
efectos | distortion | 5 | Boss | DS-2 | Turbo Distortion 60
efectos | distortion | 4 | Boss | MT-2 | Metal Zone 55
efectos | delay | 6 | Boss | DD-3 | - 85; T 95
efectos | delay | 4 | Boss | DD-8 | - 130
efectos | delay | 2 | Boss | DD-500 | - 350
efectos | reverb | 4 | Boss | RV-6 | - 120
efectos | looper | 5 | Boss | RC | RC-1 80; RC-30 160; RC-505 MkII 450
efectos | modulation | 4 | Boss | CE-2 | Waza 130
efectos | tuner | 4 | Boss | TU-3 | - 70
efectos | multifx | 6 | Boss | GT-1000 | - 750; Core 450
efectos | multifx | 5 | Boss | ME-80 | - 280
efectos | fuzz | 12 | Electro-Harmonix | Big Muff | Pi 75; Nano 60; Op-Amp 70; Green Russian 90;
    Triangle 1973 450 x0.1
efectos | overdrive | 3 | Electro-Harmonix | Soul Food | - 60
efectos | modulation | 3 | Electro-Harmonix | Small Stone | - 70
efectos | delay | 2 | Electro-Harmonix | Memory Man | Deluxe 200
efectos | pedal | 2 | Electro-Harmonix | POG2 | - 280
efectos | reverb | 3 | Electro-Harmonix | Holy Grail | Nano 90; Max 130
efectos | delay | 5 | TC Electronic | Flashback | 2 110; X4 180; Mini 70
efectos | reverb | 4 | TC Electronic | Hall of Fame | 2 110; Mini 70
efectos | tuner | 3 | TC Electronic | PolyTune | 3 70; Mini 50; Noir 60
efectos | reverb | 6 | Strymon | BigSky | - 420; MX 550
efectos | delay | 6 | Strymon | Timeline | - 350
efectos | reverb | 3 | Strymon | blueSky | - 230
efectos | delay | 3 | Strymon | El Capistan | V2 250
efectos | modulation | 2 | Strymon | Mobius | - 320
efectos | overdrive | 4 | Ibanez | Tube Screamer | TS9 90; TS808 120; Mini 60; TS808 1980 800 x0.05
efectos | overdrive | 2 | Klon | Centaur | Gold 5500 x0.2; KTR 400
efectos | overdrive | 3 | Fulltone | OCD | V2 130
efectos | overdrive | 2 | JHS | Morning Glory | V4 150
efectos | fuzz | 2 | Dunlop | Fuzz Face | Mini 100; JHF1 Jimi Hendrix 140
efectos | wah | 4 | Dunlop | Cry Baby | GCB95 70; 535Q 110; Slash 120
efectos | fuzz | 2 | Zvex | Fuzz Factory | - 180
efectos | modulation | 2 | MXR | Phase 90 | - 80; Script 100
efectos | distortion | 3 | MXR | Distortion+ | - 70
efectos | delay | 2 | MXR | Carbon Copy | - 110; Deluxe 160
efectos | compressor | 2 | MXR | Dyna Comp | - 70
efectos | distortion | 3 | ProCo | RAT | 2 70
efectos | multifx | 4 | Line 6 | Helix | Floor 1100; LT 850; HX Stomp 480
efectos | multifx | 3 | Line 6 | POD | Go 330; HD500X 300
efectos | multifx | 2 | Fractal Audio | Axe-Fx | III 1700; FM3 1000; FM9 1600
efectos | multifx | 2 | Neural DSP | Quad Cortex | - 1400
efectos | multifx | 3 | Zoom | G1X | Four 60
efectos | multifx | 2 | Zoom | MS-50G | - 80
efectos | reverb | 1 | Walrus Audio | Slö | - 180
efectos | delay | 1 | Chase Bliss | Mood | MkII 350
efectos | reverb | 1 | EarthQuaker Devices | Afterneath | V3 180
otros | interface | 8 | Focusrite | Scarlett | 2i2 3rd Gen 110; 2i2 4th Gen 140; Solo 80; 18i20 400; 4i4 160
otros | interface | 3 | Universal Audio | Apollo Twin | X Duo 800; MkII Solo 550
otros | interface | 2 | Universal Audio | Volt | 2 130
otros | interface | 2 | Motu | M2 | - 150
otros | interface | 1 | RME | Babyface Pro | FS 650
otros | mic | 6 | Shure | SM58 | - 80
otros | mic | 5 | Shure | SM57 | - 80
otros | mic | 2 | Shure | SM7B | - 320
otros | mic | 3 | Rode | NT1 | 5th Gen 200; - 160
otros | mic | 2 | Neumann | U87 | Ai 2300
otros | mic | 2 | Neumann | TLM 103 | - 800
otros | mic | 2 | AKG | C414 | XLII 800
otros | monitors | 4 | Yamaha | HS | HS8 480; HS7 350; HS5 280
otros | monitors | 3 | KRK | Rokit | 5 G4 250; 7 G4 350
otros | monitors | 2 | Genelec | 8030C | - 1100
otros | mixer | 3 | Behringer | X32 | - 1800; Compact 1500; Producer 1400
otros | mixer | 2 | Behringer | Xenyx | Q802USB 60; X1204USB 130
otros | mixer | 3 | Yamaha | MG | MG10XU 170; MG12XU 250; MG16XU 380
otros | mixer | 2 | Allen & Heath | ZED | ZED-10FX 250; ZEDi-10 200
otros | controller | 5 | Akai | MPK | Mini MK3 80; 249 180; 261 250
otros | controller | 3 | Novation | Launchpad | X 170; Mini MK3 90; Pro MK3 250
otros | controller | 3 | Novation | Launchkey | 49 MK3 180; 61 MK3 220
otros | controller | 2 | Arturia | KeyLab | Essential 61 190; 88 MkII 700
otros | controller | 2 | Native Instruments | Maschine | MK3 450; Plus 900; Mikro 200
otros | cajon | 3 | Meinl | Cajón | Headliner 90; Artisan Soleá 300
otros | cajon | 2 | Schlagwerk | CP404 | 2inOne 160
otros | cajon | 1 | De Gregorio | Chanela | - 220
otros | ukulele | 3 | Kala | KA-15S | - 60
otros | violin | 3 | Stentor | Student II | 4/4 150; 3/4 130
otros | harmonica | 2 | Hohner | Marine Band | 1896 40; Crossover 100
otros | sax | 3 | Yamaha | YAS-280 | - 1000
otros | sax | 1 | Selmer | Mark VI | - 6500 x0.3; Super Action 80 Serie II 3500
otros | trumpet | 2 | Bach | Stradivarius | 180S37 2500
otros | trumpet | 1 | Yamaha | YTR-2330 | - 450
"""

# Small makers: each rare listing pairs one with an invented model code (the long tail).
# "Brand:kind" pins the kind; otherwise a kind of the category is drawn.
_RARE_BRANDS = {
    "guitarras": "Godin; Eastman; Washburn; Aria Pro II; Burny; Greco; Fernandes; Framus; Vigier; Suhr; "
    "Tom Anderson; Reverend; Kramer; Dean; B.C. Rich; Samick; Sire; Chapman; Strandberg; Kiesel; Mayones; "
    "Ormsby; Tagima; Larrivée:acoustic; Sigma:acoustic; Seagull:acoustic; Art & Lutherie:acoustic; "
    "Manuel Rodríguez:classical; Paco Castillo:classical; Vicente Carrillo:classical; "
    "Antonio Sánchez:classical; Valeriano Bernal:classical; Prudencio Sáez:classical",
    "bajos": "Sandberg; Mayones; Sadowsky; Dingwall; Ken Smith; Alembic; Status; Zon; Aria Pro II; Tune; "
    "Sire; ESP LTD; Kramer; Tagima; Vintage; Ibanez",
    "teclados": "Kawai; Medeli; Kurzweil; Studiologic; Dexibell; Viscount; Technics; Gem; Orla; Bontempi; "
    "Farfisa:organ; Wurlitzer:stage_piano; Rhodes:stage_piano; Hohner:stage_piano",
    "sintetizadores": "Dreadbox; Modal; ASM; 1010music:sampler; Polyend; Erica Synths; Make Noise; Oberheim; "
    "Ensoniq; E-mu:sampler; Crumar; Elka; Siel; PPG; Soma; Vermona; Twisted Electrons; UDO; "
    "Groove Synthesis; Black Corporation",
    "baterias": "Premier:drum_kit; Natal:drum_kit; Basix:drum_kit; Dixon:drum_kit; Canopus:drum_kit; "
    "Pork Pie:snare; Rogers:drum_kit; Slingerland:drum_kit; Honsuy:drum_kit; Stagg:cymbal; Efnote:edrum; "
    "Ufip:cymbal; Bosphorus:cymbal; Dream:cymbal; Masterwork:cymbal",
    "amplificadores": "Hiwatt; Matchless; Dr. Z; Bogner; Soldano; Diezel; Two-Rock; Victory; Koch; "
    "Hughes & Kettner; Randall; Carvin; Sovtek; Rivera; Budda; Supro; Magnatone; Egnater; Quilter; "
    "Bugera; Ashdown:bass_amp; Trace Elliot:bass_amp; SWR:bass_amp; Eden:bass_amp",
    "efectos": "Wampler; Keeley; Analogman; Catalinbread; Mooer; Joyo; Caline; Xotic; Way Huge; "
    "Fairfield Circuitry; Old Blood Noise Endeavors; Death By Audio; Digitech; Eventide; Source Audio; "
    "Hotone; Nux; Valeton; Tech 21; Mad Professor; Lovepedal; Greer Amps; Nobels; Vemuram; Jam Pedals",
    "otros": "Sennheiser:mic; Beyerdynamic:mic; Presonus:interface; Steinberg:interface; Tascam:interface; "
    "Mackie:mixer; Soundcraft:mixer; Buffet Crampon:sax; Conn:trumpet; Keilwerth:sax; Ortega:ukulele; "
    "Gewa:violin; Suzuki:harmonica; Sela:cajon; Pepote:cajon",
}
_CODE_PREFIXES = (
    "A AR AS AX BG BT CE CL CS CX DX EG EX FX GA GR GS HB HX JS KX LX MG MS MX NX OM PX RG RS "
    "SA SG ST SX TB TX VX XP XT ZR"
).split()
_CODE_SUFFIXES = ("", "", "", "", "S", "X", "FM", "CE", "II", "MkII", "Pro", "DX", "QM", "Custom", "Deluxe")

# Names sellers really write instead of the official one: abbreviations and misspellings.
_MODEL_ALIASES = {
    "Stratocaster": ("Strat", "Strato", "Estratocaster"),
    "Telecaster": ("Tele", "Telecáster"),
    "Jazzmaster": ("Jazz Master",),
    "Les Paul": ("LesPaul", "Les-Paul"),
    "Precision Bass": ("P-Bass", "Precision", "Precission Bass"),
    "Jazz Bass": ("J-Bass", "Jazzbass"),
    "StingRay": ("Stingray", "Sting Ray"),
    "Imperialstar": ("Imperial Star",),
    "Blues Junior": ("Blues Jr", "Blues Jr."),
    "Minilogue": ("minilogue", "Minilog"),
    "MicroFreak": ("Microfreak", "Micro Freak"),
    "Subsequent 37": ("Sub 37", "Sub37"),
    "Big Muff": ("Bigmuff",),
    "Tube Screamer": ("Tubescreamer",),
    "Deepmind": ("DeepMind",),
    "Juno-106": ("Juno 106", "Juno106"),
    "MS-20": ("MS20",),
    "P-45": ("P45",),
    "JCM800": ("JCM 800",),
    "AC30": ("AC-30", "AC 30"),
    "DS-1": ("DS1",),
    "TD-17": ("TD17",),
    "ES-335": ("ES335", "335"),
}
_BRAND_TYPOS = {
    "Ibanez": "Ibañez", "Gibson": "Gibsom", "Marshall": "Marshal", "Behringer": "Beringer",
    "Yamaha": "Yamha", "Epiphone": "Epiphon", "Squier": "Squire", "Gretsch": "Gretch",
    "Schecter": "Schechter", "Electro-Harmonix": "Electroharmonix", "Zildjian": "Zildjan",
    "Rickenbacker": "Rickenbaker", "Strymon": "Strimon", "Fender": "Fénder",
}
# English order puts the series before the model for these ("Fender Player Stratocaster").
_SERIES_FIRST = frozenset({"Fender", "Squier"})

# (English finish, Spanish masculine, Spanish feminine)
_GUITAR_FINISHES = [
    ("Black", "negro", "negra"), ("Olympic White", "blanco", "blanca"), ("Arctic White", "blanco", "blanca"),
    ("3-Color Sunburst", "sunburst", "sunburst"), ("2-Tone Sunburst", "sunburst", "sunburst"),
    ("Candy Apple Red", "rojo", "roja"), ("Fiesta Red", "rojo fiesta", "rojo fiesta"),
    ("Lake Placid Blue", "azul", "azul"), ("Sonic Blue", "azul sonic", "azul sonic"),
    ("Daphne Blue", "azul", "azul"), ("Surf Green", "verde surf", "verde surf"),
    ("Seafoam Green", "verde", "verde"), ("Shell Pink", "rosa", "rosa"),
    ("Butterscotch Blonde", "butterscotch", "butterscotch"), ("Natural", "natural", "natural"),
    ("Heritage Cherry Sunburst", "cherry sunburst", "cherry sunburst"),
    ("Tobacco Burst", "tobacco burst", "tobacco burst"), ("Honeyburst", "honeyburst", "honeyburst"),
    ("Goldtop", "dorado", "dorada"), ("Ebony", "negro", "negra"), ("Cherry", "cereza", "cereza"),
    ("Vintage White", "blanco vintage", "blanca vintage"), ("Pelham Blue", "azul", "azul"),
    ("Silver Sparkle", "plateado", "plateada"), ("Metallic Gold", "dorado", "dorada"),
    ("Walnut", "nogal", "nogal"), ("Wine Red", "rojo vino", "rojo vino"), ("Burgundy Mist", "burdeos", "burdeos"),
]
_ACOUSTIC_FINISHES = [
    ("Natural", "natural", "natural"), ("Sunburst", "sunburst", "sunburst"), ("Black", "negro", "negra"),
    ("Vintage Sunburst", "sunburst", "sunburst"), ("Satin", "satinado", "satinada"),
]
_DRUM_FINISHES = [
    ("Jet Black", "negro", "negra"), ("Wine Red", "rojo vino", "rojo vino"), ("Natural", "natural", "natural"),
    ("Blue Sparkle", "azul purpurina", "azul purpurina"), ("Piano Black", "negro piano", "negro piano"),
    ("Satin Walnut", "nogal", "nogal"), ("Silver Sparkle", "plateado", "plateada"),
]
_FINISHES = {"guitar": _GUITAR_FINISHES, "bass": _GUITAR_FINISHES, "acoustic": _ACOUSTIC_FINISHES,
             "drums": _DRUM_FINISHES}

_ES_EXTRAS_COMMON = (
    "como nuevo; impecable; perfecto estado; muy buen estado; buen estado; poco uso; casi sin uso; a estrenar; "
    "envío incluido; envío gratis; solo entrega en mano; acepto cambios; no cambios; precio negociable; "
    "precio fijo; rebajado; urge; con factura; con garantía; con caja original; se puede probar; "
    "segunda mano; ocasión; leer descripción"
)
_ES_EXTRAS = {
    "guitar": "con estuche; con estuche rígido; con funda; zurdo; pastillas Seymour Duncan; pastillas EMG; "
    "trastes nuevos; recién ajustada; made in Japan; made in USA; made in Mexico; made in Korea; mástil de arce; "
    "diapasón de palisandro; cuerdas nuevas; puente Floyd Rose; mejorada; relic; clavijas autoblocantes",
    "acoustic": "con estuche; con funda; zurda; tapa maciza; cedro macizo; abeto macizo; con pastilla; "
    "recién ajustada; cuerdas nuevas; hecha en España; de luthier",
    "bass": "5 cuerdas; 4 cuerdas; fretless; activo; pasivo; con funda; con estuche; zurdo; "
    "cuerdas nuevas; pastillas Bartolini; made in USA; made in Mexico",
    "keys": "con soporte; con pedal de sustain; con funda; con banqueta; con fuente de alimentación; "
    "con atril; con tapa; con pedalera",
    "synth": "con fuente de alimentación; con caja original; con decksaver; revisado; con manual; "
    "firmware actualizado; con cables MIDI; con funda; sin arañazos",
    "drums": "5 piezas; 4 piezas; con herrajes; con platos; sin platos; con parches nuevos; con banqueta; "
    "con pedal doble; bombo de 22\"; bombo de 20\"; solo cascos",
    "edrums": "con módulo; parches de malla; con banqueta; con auriculares; con pedal; ampliada",
    "cymbal": "sin grietas; acabado brilliant; acabado tradicional; pareja; con funda",
    "amp": "válvulas nuevas; con footswitch; con funda; revisado por técnico; con cable de alimentación; "
    "sin ruidos; altavoz Celestion; altavoz cambiado",
    "pedal": "true bypass; con caja; con fuente; modificado; versión 2; made in USA; analógico; boutique",
    "gear": "con cables; pareja; con caja original; con araña; pack completo; con soporte",
    "wind": "con estuche; lacado; plateado; revisado; con boquilla; de estudiante",
}
_EN_EXTRAS_COMMON = (
    "w/ Original Box; Mint; Excellent Condition; Very Good Condition; Free Shipping; Lightly Used; "
    "Barely Used; B-Stock; Open Box; Serviced; Rare; Limited Edition; Upgraded; Used; Excellent; Pristine"
)
_EN_EXTRAS = {
    "guitar": "w/ case; w/ OHSC; w/ Gig Bag; Left-Handed; Lefty; Relic; Seymour Duncan Pickups; "
    "Locking Tuners; Refret; Rosewood Fingerboard; Maple Neck; HSS; Floyd Rose; Bigsby; MIJ; MIM; USA",
    "acoustic": "w/ case; w/ Gig Bag; Left-Handed; Solid Top; All Solid; w/ Pickup; Made in Canada",
    "bass": "4-String; 5-String; Fretless; Active; Passive; w/ Gig Bag; w/ case; Lefty; MIJ; MIM",
    "keys": "w/ Stand; w/ Sustain Pedal; w/ Gig Bag; w/ Power Supply; Tested",
    "synth": "w/ Decksaver; w/ Power Supply; Firmware Updated; w/ MIDI Cables; w/ Gig Bag; Tested",
    "drums": "5-Piece Shell Pack; 4-Piece; w/ Hardware; w/ Cymbals; 22\" Kick; Shell Pack",
    "edrums": "Mesh Heads; w/ Throne; Expanded; w/ Module",
    "cymbal": "Brilliant; Traditional Finish; Pair; Cracked",
    "amp": "w/ Footswitch; New Tubes; Retubed; Cover Included; Celestion Speaker; Speaker Upgrade",
    "pedal": "True Bypass; w/ Box; Modded; Analog; Boutique",
    "gear": "w/ Cables; Pair; Bundle; w/ Shock Mount",
    "wind": "w/ case; Lacquer; Silver Plated; Serviced",
}
_ES_PREFIXES = ("Vendo", "Se vende", "VENDO", "Oferta:", "Urge vender", "Cambio o vendo", "Vendo o cambio")

# (city, weight): roughly by population, with a tail of smaller towns.
_SPANISH_CITIES = """
Madrid 20; Barcelona 16; Valencia 7; Sevilla 5; Zaragoza 4; Málaga 4; Bilbao 3; Murcia 3; Palma 3;
Las Palmas de Gran Canaria 3; Alicante 3; Córdoba 2.5; Valladolid 2.5; Vigo 2.5; Gijón 2; A Coruña 2;
Granada 2; Vitoria-Gasteiz 2; Elche 1.5; Oviedo 1.5; Santa Cruz de Tenerife 1.5; Pamplona 1.5;
Santander 1.3; San Sebastián 1.3; Salamanca 1; Burgos 1; Logroño 1; Badajoz 1; Castellón de la Plana 1;
Almería 1; León 1; Tarragona 1; Lleida 1; Girona 1; Albacete 1; Sabadell 1; Terrassa 1; Badalona 1;
L'Hospitalet de Llobregat 1; Huelva 0.8; Cádiz 0.8; Cáceres 0.8; Santiago de Compostela 0.8; Móstoles 0.8;
Alcalá de Henares 0.8; Cartagena 0.8; Jerez de la Frontera 0.8; Jaén 0.7; Ourense 0.7; Toledo 0.7;
Getafe 0.7; Lugo 0.6; Pontevedra 0.6; Guadalajara 0.6; Leganés 0.6; Fuenlabrada 0.6; Marbella 0.6;
Alcorcón 0.5; Ciudad Real 0.5; Dos Hermanas 0.5; Mataró 0.5; Segovia 0.4; Torrevieja 0.4; Benidorm 0.4;
Reus 0.4; Sant Cugat del Vallès 0.4; Ibiza 0.4; Algeciras 0.4; Las Rozas de Madrid 0.4;
Pozuelo de Alarcón 0.4; Alcobendas 0.4; Torrejón de Ardoz 0.4; Ávila 0.3; Zamora 0.3; Palencia 0.3;
Huesca 0.3; Cuenca 0.3; Ferrol 0.3; Ponferrada 0.3; Talavera de la Reina 0.3; Mérida 0.3;
Rivas-Vaciamadrid 0.3; Getxo 0.3; Barakaldo 0.3; Lorca 0.3; Gandia 0.3; Soria 0.2; Teruel 0.2;
Ceuta 0.2; Melilla 0.2; Irun 0.2
"""
_FOREIGN_CITIES = """
London, United Kingdom 4; Manchester, United Kingdom 1.5; Berlin, Germany 3; Hamburg, Germany 1.5;
Paris, France 2.5; Amsterdam, Netherlands 1.5; Lisboa, Portugal 1.5; Porto, Portugal 1; Milano, Italy 1.5;
Stockholm, Sweden 1; Bruxelles, Belgium 1; Nashville, TN 3; Los Angeles, CA 3; Brooklyn, NY 2.5;
Austin, TX 2; Chicago, IL 2; Portland, OR 1.5; Seattle, WA 1.2; Toronto, Canada 1.2; Tokyo, Japan 1.5
"""

_CATEGORY_WEIGHTS = {  # per site: guitarristas leans to guitars, hispasonic to keys and synths
    "reverb": (30, 11, 8, 16, 7, 12, 14, 2),
    "hispasonic": (22, 10, 14, 18, 9, 10, 10, 7),
    "guitarristas": (45, 14, 2, 2, 2, 17, 16, 2),
    "soundmarket": (30, 12, 12, 8, 14, 10, 8, 6),
}
_CATEGORIES = ("guitarras", "bajos", "teclados", "sintetizadores", "baterias", "amplificadores", "efectos", "otros")
_PRICE_SIGMA = {"guitarras": 0.45, "bajos": 0.42, "teclados": 0.38, "sintetizadores": 0.38, "baterias": 0.45,
                "amplificadores": 0.42, "efectos": 0.35, "otros": 0.45}

# website, share, link template, image template, chance of no image, chance of no price
_SITES = (
    ("reverb", 35, "https://reverb.com/item/{n}-{slug}",
     "https://rvb-img.reverb.com/image/upload/t_card-square/v{ts}/{hex}.jpg", 0.03, 0.008),
    ("hispasonic", 30, "https://hispasonic.com/anuncio/{slug}-{n}",
     "https://hispasonic.com/fotos/anuncios/{n}/{hex}.jpg", 0.15, 0.04),
    ("guitarristas", 20, "https://guitarristas.info/anuncio/{slug}-{n}",
     "https://guitarristas.info/uploads/anuncios/{n}_{hex}.jpg", 0.15, 0.04),
    ("soundmarket", 15, "https://soundmarket.es/anuncio/{slug}-{n}",
     "https://soundmarket.es/media/anuncios/{hex}.webp", 0.18, 0.04),
)
_JUNK_PRICE_CENTS = (1, 100, 100, 100, 999_900, 12_345_600, 99_999_900, MAX_PRICE_CENTS)
_EXPIRY_DAYS = (30, 60, 90, 90, 120, 180, 365)
_SLUG_PUNCTUATION = b"\".,:;()!?#&+*/$\\[]{}<>|=%~^`-_@"
_SLUG_TABLE = bytes.maketrans(_SLUG_PUNCTUATION, b" " * len(_SLUG_PUNCTUATION))


@dataclass(frozen=True, slots=True)
class _Kind:
    key: str
    es_noun: str
    es_short: str
    feminine: bool
    en_nouns: tuple[str, ...]
    es_extras: tuple[str, ...]
    en_extras: tuple[str, ...]
    finishes: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class _Product:
    kind: _Kind
    brand: str
    model: str
    series: str
    median: float
    aliases: tuple[str, ...] = ()
    typo: str = ""
    dated: bool = False  # the series names a year ("1964 pre-CBS"): titles add no other year


class _Weighted:
    """Items drawn by weight with one random number: bisect over normalised cumulative weights."""

    __slots__ = ("items", "cumulative")

    def __init__(self, pairs: Sequence[tuple[object, float]]):
        total = sum(weight for _, weight in pairs)
        running, cumulative = 0.0, []
        for _, weight in pairs:
            running += weight
            cumulative.append(running / total)
        cumulative[-1] = 1.0  # random() < 1.0, so bisect never runs off the end
        self.items = [item for item, _ in pairs]
        self.cumulative = cumulative

    def pick(self, r: float):
        return self.items[bisect_right(self.cumulative, r)]


def _split(text: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(sep) if part.strip())


def _weighted_names(text: str) -> _Weighted:
    pairs = []
    for entry in _split(text):
        name, weight = entry.rsplit(" ", 1)
        pairs.append((name, float(weight)))
    return _Weighted(pairs)


def _joined_lines(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.strip().splitlines():
        if line.startswith(" "):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def _names_a_year(text: str) -> bool:
    return any(len(tok) == 4 and tok.isdigit() and tok[:2] in ("19", "20") for tok in text.split())


def _build_kinds() -> dict[str, _Kind]:
    kinds = {}
    for line in _KINDS.strip().splitlines():
        key, noun, gender, en_nouns, group = (part.strip() for part in line.split("|"))
        kinds[key] = _Kind(
            key=key,
            es_noun=noun,
            es_short=noun.split()[0],
            feminine=gender == "f",
            en_nouns=_split(en_nouns),
            es_extras=_split(_ES_EXTRAS[group]) + _split(_ES_EXTRAS_COMMON),
            en_extras=_split(_EN_EXTRAS[group]) + _split(_EN_EXTRAS_COMMON),
            finishes=tuple(_FINISHES.get(group, ())),
        )
    return kinds


def _build_catalogue(kinds: dict[str, _Kind]) -> dict[str, list[tuple[_Product, float]]]:
    """Per category, (product, weight) for every variant of every catalogue line."""
    products: dict[str, list[tuple[_Product, float]]] = {c: [] for c in _CATEGORIES}
    for line in _joined_lines(_CATALOGUE):
        category, kind_key, popularity, brand, model, variants = (part.strip() for part in line.split("|"))
        parsed = []
        for variant in _split(variants):
            tokens = variant.split()
            weight = float(tokens.pop()[1:]) if tokens[-1].startswith("x") else 1.0
            median = float(tokens.pop())
            parsed.append(("" if tokens == ["-"] else " ".join(tokens), median, weight))
        total = sum(weight for _, _, weight in parsed)
        for series, median, weight in parsed:
            name = model
            if series.startswith(model) and series != model:  # "RG" + "RG550": sellers write "RG550"
                name, series = series, ""
            product = _Product(kinds[kind_key], brand, name, series, median, _MODEL_ALIASES.get(name, ()),
                               _BRAND_TYPOS.get(brand, brand), _names_a_year(series))
            products[category].append((product, float(popularity) * weight / total))
    return products


def _build_rare(kinds: dict[str, _Kind], catalogue: dict[str, list[tuple[_Product, float]]]):
    """Per category: small brands (kind pinned or None), the category's kinds, and a typical price per kind."""
    prices: dict[str, list[float]] = {}
    for entries in catalogue.values():
        for product, _ in entries:
            prices.setdefault(product.kind.key, []).append(math.log(product.median))
    typical = {key: math.exp(sum(logs) / len(logs)) for key, logs in prices.items()}
    rare = {}
    for category, text in _RARE_BRANDS.items():
        brands = []
        for entry in _split(text):
            brand, _, kind_key = entry.partition(":")
            brands.append((brand, kinds[kind_key] if kind_key else None))
        category_kinds = tuple(product.kind for product, _ in catalogue[category])
        rare[category] = (tuple(brands), category_kinds)
    return rare, typical


_KIND_TABLE = _build_kinds()
_CATALOGUE_TABLE = _build_catalogue(_KIND_TABLE)
_PRODUCT_PICK = {category: _Weighted(entries) for category, entries in _CATALOGUE_TABLE.items()}
_RARE_TABLE, _TYPICAL_PRICE = _build_rare(_KIND_TABLE, _CATALOGUE_TABLE)
_SITE_PICK = _Weighted([(site, site[1]) for site in _SITES])
_CATEGORY_PICK = {site: _Weighted(list(zip(_CATEGORIES, weights))) for site, weights in _CATEGORY_WEIGHTS.items()}
_SPANISH_CITY_PICK = _weighted_names(_SPANISH_CITIES)
_FOREIGN_CITY_PICK = _weighted_names(_FOREIGN_CITIES)
_RARE_SHARE = 0.08


def _rare_product(rand, category: str) -> _Product:
    """A small maker's instrument with an invented model code: words that occur a handful of times."""
    brands, category_kinds = _RARE_TABLE[category]
    brand, kind = brands[int(rand() * len(brands))]
    if kind is None:
        kind = category_kinds[int(rand() * len(category_kinds))]
    code = f"{_CODE_PREFIXES[int(rand() * len(_CODE_PREFIXES))]}-{10 + int(rand() * 9990)}"
    suffix = _CODE_SUFFIXES[int(rand() * len(_CODE_SUFFIXES))]
    median = _TYPICAL_PRICE.get(kind.key, 300.0) * math.exp(0.6 * (rand() - 0.5) * 2)
    return _Product(kind, brand, code, suffix, median, (), brand)


def _extras_count(r: float) -> int:
    return 0 if r < 0.3 else 1 if r < 0.7 else 2 if r < 0.9 else 3 if r < 0.985 else 5


def _spanish_title(rand, product: _Product, year: int) -> str:
    """ "Guitarra eléctrica Fender Stratocaster Player negra con estuche, envío incluido" """
    kind = product.kind
    parts = []
    if rand() < 0.06:
        parts.append(_ES_PREFIXES[int(rand() * len(_ES_PREFIXES))])
    r = rand()
    if r < 0.75:
        parts.append(kind.es_noun)
    elif r < 0.85:
        parts.append(kind.es_short)
    parts.append(product.typo if rand() < 0.02 else product.brand)
    aliases = product.aliases
    parts.append(aliases[int(rand() * len(aliases))] if aliases and rand() < 0.12 else product.model)
    if product.series and rand() < 0.85:
        parts.append(product.series)
    if kind.finishes and rand() < 0.3:
        _, masculine, feminine = kind.finishes[int(rand() * len(kind.finishes))]
        r = rand()
        if r < 0.6:
            parts.append(feminine if kind.feminine else masculine)
        else:
            parts.append(("color " if r < 0.85 else "acabado ") + masculine)
    title = " ".join(parts)
    extras = kind.es_extras
    picked = [extras[int(rand() * len(extras))] for _ in range(_extras_count(rand()))]
    if not product.dated and rand() < 0.08:
        picked.append(f"año {year - 1 - int(rand() * rand() * 25)}")
    if rand() < 0.007:
        picked.append(f"nº de serie {_serial(rand)}")
    if picked:
        r = rand()
        title += (" " if r < 0.6 else ", " if r < 0.85 else " - ") + ", ".join(dict.fromkeys(picked))
    r = rand()
    if r < 0.03:
        title = title.upper()
    elif r < 0.05:
        title = title.lower()
    return title


def _english_title(rand, product: _Product, year: int) -> str:
    """ "Fender American Professional II Stratocaster - Olympic White w/ case" """
    kind = product.kind
    brand = product.typo if rand() < 0.005 and product.typo.isascii() else product.brand
    aliases = product.aliases
    model = aliases[int(rand() * len(aliases))] if aliases and rand() < 0.04 else product.model
    series = product.series
    if not series:
        title = f"{brand} {model}"
    elif product.brand in _SERIES_FIRST:
        title = f"{brand} {series} {model}"
    else:
        title = f"{brand} {model} {series}"
    if not product.dated:
        r = rand()
        if r < 0.1:
            title = f"{year - 1 - int(rand() * rand() * 30)} {title}"
        elif r < 0.25:
            title = f"{title} {year - 1 - int(rand() * rand() * 30)}"
    if kind.finishes and rand() < 0.4:
        finish = kind.finishes[int(rand() * len(kind.finishes))][0]
        title += (" - " if rand() < 0.5 else " ") + finish
    if rand() < 0.3:
        title += " " + kind.en_nouns[int(rand() * len(kind.en_nouns))]
    r = rand()
    count = 0 if r < 0.5 else 1 if r < 0.85 else 2 if r < 0.97 else 3
    if count:
        extras = kind.en_extras
        title += " " + " ".join(dict.fromkeys(extras[int(rand() * len(extras))] for _ in range(count)))
    if rand() < 0.005:
        title += f" Serial #{_serial(rand)}"
    return title


_SERIAL_PREFIXES = ("US", "MX", "KR", "JD", "CZ", "Z")


def _serial(rand) -> str:
    return f"{_SERIAL_PREFIXES[int(rand() * len(_SERIAL_PREFIXES))]}{int(rand() * 100_000_000):08d}"


def _slug(name: str) -> str:
    """ "Guitarra eléctrica Fender '59 Reissue" -> "guitarra-electrica-fender-59-reissue" (at most 80 chars)."""
    folded = normalize("NFKD", name.lower()).encode("ascii", "ignore").translate(_SLUG_TABLE, b"'")
    return "-".join(folded.decode("ascii").split())[:80].rstrip("-")


def _price_cents(rand, euros: float, cents_anywhere: float) -> int:
    """Rounded the way sellers price: mostly round numbers, some .99, some exact (converted) cents."""
    r = rand()
    if r < 0.6:
        step = 1 if euros < 50 else 5 if euros < 200 else 10 if euros < 1000 else 50 if euros < 5000 else 100
        cents = max(1, round(euros / step)) * step * 100
    elif r < 0.75:
        cents = max(1, round(euros)) * 100 - 1
    elif r < 1.0 - cents_anywhere:
        cents = max(1, round(euros)) * 100
    else:
        cents = max(1, round(euros * 100))
    return min(cents, MAX_PRICE_CENTS)


def generate(rows: int, seed: int = 1, today: datetime.date | None = None) -> Iterator[tuple]:
    """Yield `rows` tuples in COLUMNS order: name str, price decimal.Decimal|None (2 decimals), link str (unique, https URL), website str, image str|None, location str|None, category str|None, expiration date|None, publish date|None.

    The same (rows, seed, today) always gives the same rows; `today` defaults to DEFAULT_TODAY
    (2026-11-01, fixed so output does not change by day): publish dates fall in the two years before it.
    """
    if rows < 0:
        raise ValueError("rows must not be negative")
    today = DEFAULT_TODAY if today is None else today
    rng = random.Random(seed)
    rand, gauss, bits = rng.random, rng.gauss, rng.getrandbits
    fromordinal = datetime.date.fromordinal
    today_ordinal = today.toordinal()
    year = today.year
    listing_id = 40_000_000 + int(rand() * 10_000_000)
    for _ in range(rows):
        listing_id += 1 + int(rand() * 40)  # ids grow, so links are unique
        website, _, link_template, image_template, no_image, no_price = _SITE_PICK.pick(rand())
        category = _CATEGORY_PICK[website].pick(rand())
        if rand() < _RARE_SHARE:
            product = _rare_product(rand, category)
        else:
            product = _PRODUCT_PICK[category].pick(rand())
        reverb = website == "reverb"
        name = _english_title(rand, product, year) if reverb else _spanish_title(rand, product, year)
        if len(name) > NAME_LIMIT:
            name = name[:NAME_LIMIT].rstrip()

        if rand() < no_price:
            price = None
        else:
            if rand() < 0.003:  # placeholders and fat-finger prices sellers really post
                cents = _JUNK_PRICE_CENTS[int(rand() * len(_JUNK_PRICE_CENTS))]
            else:
                euros = product.median * math.exp(gauss(0.0, _PRICE_SIGMA[category]))
                cents = _price_cents(rand, euros, 0.5 if reverb else 0.05)
            price = Decimal(cents).scaleb(-2)

        if rand() < 0.005:
            publish, publish_ordinal = None, today_ordinal - int(rand() * 365)
        else:
            publish_ordinal = today_ordinal - 1 - int(730 * rand() ** 1.3)  # recent listings are more common
            publish = fromordinal(publish_ordinal)
        expiration = None
        if rand() < 0.15:
            days = _EXPIRY_DAYS[int(rand() * len(_EXPIRY_DAYS))] + int(rand() * 7)
            expiration = fromordinal(publish_ordinal + days)

        r = rand()
        if reverb:
            city_pick = _FOREIGN_CITY_PICK if r < 0.45 else _SPANISH_CITY_PICK
            location = None if r < 0.2 else city_pick.pick(rand())
        else:
            location = None if r < 0.05 else _SPANISH_CITY_PICK.pick(rand())

        slug = _slug(name)
        link = link_template.format(n=listing_id, slug=slug)
        if rand() < no_image:
            image = None
        else:
            image = image_template.format(n=listing_id, hex=f"{bits(64):016x}", ts=1_500_000_000 + listing_id)
        yield (name, price, link, website, image, location,
               None if rand() < 0.01 else category, expiration, publish)


def write_csv(path_or_file, rows: int, seed: int = 1, today=None) -> int:
    """Write a header row (COLUMNS) and the rows as CSV (prices like 1250.00, ISO dates, empty for None); return rows written.

    `path_or_file` is a path (written as UTF-8) or an open text file (opened with newline="").
    """
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", newline="", encoding="utf-8") as stream:
            return _write(stream, rows, seed, today)
    return _write(path_or_file, rows, seed, today)


def _write(stream, rows: int, seed: int, today) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(generate(rows, seed, today))  # None -> "", str(Decimal) -> 1250.00, str(date) -> ISO
    return rows
