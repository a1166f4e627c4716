"""News-like texts in fifteen languages, written for this project: short (headlines) and long."""

from __future__ import annotations

# (language, text). Short ones are headlines and teasers of up to a dozen words; long ones are
# two or three sentences, the length of a feed summary.
SHORT: tuple[tuple[str, str], ...] = (
    ("en", "Fancy a pizza with a view"),
    ("en", "Storm closes schools across the north"),
    ("en", "Minister resigns after budget row"),
    ("en", "Police search for missing hiker in the hills"),
    ("en", "Train fares to rise again in March"),
    ("fr", "Le gouvernement annonce une hausse des impôts"),
    ("fr", "Grève dans les transports parisiens ce jeudi"),
    ("fr", "Un incendie ravage une forêt près de Marseille"),
    ("de", "Regierung plant neue Steuern für Unternehmen"),
    ("de", "Starker Regen sorgt für Überschwemmungen im Süden"),
    ("de", "Die Bahn streicht zahlreiche Verbindungen"),
    ("es", "El gobierno aprueba la nueva ley de vivienda"),
    ("es", "Miles de personas protestan en las calles de Madrid"),
    ("es", "La sequía amenaza las cosechas del sur"),
    ("it", "Il governo approva la riforma delle pensioni"),
    ("it", "Maltempo, chiuse le scuole in tutta la regione"),
    ("it", "La squadra vince il campionato dopo dieci anni"),
    ("pt", "Governo anuncia novas medidas para a economia"),
    ("pt", "Chuvas fortes causam estragos no interior do estado"),
    ("pt", "Presidente viaja para a cimeira em Lisboa"),
    ("nl", "Kabinet wil meer geld voor de zorg"),
    ("nl", "Treinverkeer rond Utrecht urenlang plat"),
    ("nl", "Boeren protesteren opnieuw bij het provinciehuis"),
    ("ru", "Правительство объявило о новых мерах поддержки"),
    ("ru", "В Москве прошёл сильный снегопад"),
    ("ru", "Цены на бензин снова выросли"),
    ("uk", "Уряд ухвалив нові правила для бізнесу"),
    ("uk", "У Києві відкрили нову станцію метро"),
    ("uk", "Ціни на продукти знову зростають"),
    ("pl", "Rząd zapowiada podwyżki dla nauczycieli"),
    ("pl", "Silny wiatr zerwał dachy w kilku miejscowościach"),
    ("pl", "Prezydent spotkał się z przedstawicielami rolników"),
    ("tr", "Hükümet yeni ekonomik önlemleri açıkladı"),
    ("tr", "İstanbul'da şiddetli yağış hayatı olumsuz etkiledi"),
    ("tr", "Seçim sonuçları yarın açıklanacak"),
    ("id", "Pemerintah umumkan kenaikan harga bahan bakar"),
    ("id", "Banjir rendam ratusan rumah di Jakarta"),
    ("id", "Presiden resmikan jalan tol baru di Sumatra"),
    ("ar", "الحكومة تعلن عن إجراءات اقتصادية جديدة"),
    ("ar", "أمطار غزيرة تغرق شوارع المدينة"),
    ("ar", "الرئيس يلتقي وزير الخارجية في القاهرة"),
    ("fa", "دولت از برنامه‌های جدید اقتصادی خبر داد"),
    ("fa", "بارش شدید باران در تهران خسارت زد"),
    ("fa", "قیمت نان در شهرها افزایش یافت"),
    ("ur", "حکومت نے نئے ٹیکس کا اعلان کر دیا"),
    ("ur", "کراچی میں شدید بارش سے سڑکیں ڈوب گئیں"),
    ("ur", "وزیر اعظم آج قوم سے خطاب کریں گے"),
)

LONG: tuple[tuple[str, str], ...] = (
    (
        "en",
        "The city council voted on Tuesday to close two libraries and cut bus services, saying"
        " the budget left it no choice. Residents who packed the public gallery booed the"
        " decision, and opposition members promised to fight it in the courts.",
    ),
    (
        "en",
        "A small restaurant on the harbour has become the talk of the town after a food critic"
        " praised its pizza and its view of the bay. The owners, who opened it last spring,"
        " say they now turn away dozens of people every evening.",
    ),
    (
        "fr",
        "Le conseil municipal a voté mardi la fermeture de deux bibliothèques et la réduction"
        " des lignes de bus, faute de moyens. Les habitants venus nombreux ont sifflé la"
        " décision, et l'opposition a promis de saisir la justice.",
    ),
    (
        "fr",
        "Les pompiers luttaient encore dimanche soir contre un incendie qui a déjà détruit des"
        " centaines d'hectares de pins. Plusieurs villages ont été évacués par précaution et"
        " les routes de la région restent fermées à la circulation.",
    ),
    (
        "de",
        "Der Stadtrat hat am Dienstag beschlossen, zwei Bibliotheken zu schließen und den"
        " Busverkehr einzuschränken, weil das Geld fehle. Viele Bürger protestierten lautstark"
        " gegen die Entscheidung, und die Opposition will vor Gericht ziehen.",
    ),
    (
        "de",
        "Nach tagelangem Regen sind im Süden des Landes mehrere Flüsse über die Ufer getreten."
        " Die Feuerwehr brachte Hunderte Menschen in Sicherheit, und in vielen Orten fiel der"
        " Strom aus, während die Wetterdienste weitere Niederschläge erwarten.",
    ),
    (
        "es",
        "El ayuntamiento aprobó el martes el cierre de dos bibliotecas y el recorte de varias"
        " líneas de autobús por falta de presupuesto. Los vecinos que llenaron la sala"
        " abuchearon la decisión y la oposición anunció que la llevará a los tribunales.",
    ),
    (
        "es",
        "Las autoridades sanitarias recomendaron a la población evitar salir a la calle en las"
        " horas centrales del día debido a la ola de calor. Se esperan temperaturas de más de"
        " cuarenta grados durante el fin de semana en buena parte del país.",
    ),
    (
        "it",
        "Il consiglio comunale ha deciso martedì di chiudere due biblioteche e di ridurre le"
        " corse degli autobus per mancanza di fondi. I cittadini presenti in aula hanno"
        " contestato la scelta e l'opposizione ha annunciato un ricorso al tribunale.",
    ),
    (
        "it",
        "Dopo giorni di pioggia intensa, diversi fiumi del nord sono esondati e molte famiglie"
        " hanno dovuto lasciare le loro case. La protezione civile invita alla massima prudenza"
        " e sconsiglia gli spostamenti non necessari.",
    ),
    (
        "pt",
        "A câmara municipal decidiu na terça-feira fechar duas bibliotecas e reduzir as linhas"
        " de autocarro por falta de verbas. Os moradores que encheram a sala protestaram contra"
        " a decisão e a oposição prometeu recorrer aos tribunais.",
    ),
    (
        "pt",
        "O número de turistas que visitaram o país no verão bateu um novo recorde, segundo os"
        " dados divulgados nesta segunda-feira. Os hotéis do litoral registaram uma ocupação"
        " quase total durante os meses de julho e agosto.",
    ),
    (
        "nl",
        "De gemeenteraad heeft dinsdag besloten twee bibliotheken te sluiten en buslijnen te"
        " schrappen omdat er geen geld meer is. Bewoners die de publieke tribune vulden"
        " reageerden woedend en de oppositie wil naar de rechter stappen.",
    ),
    (
        "nl",
        "Door de aanhoudende droogte staat het waterpeil in veel rivieren uitzonderlijk laag."
        " Schepen kunnen minder lading meenemen en boeren mogen hun land op sommige plaatsen"
        " niet meer beregenen.",
    ),
    (
        "ru",
        "Городской совет во вторник решил закрыть две библиотеки и сократить число автобусных"
        " маршрутов из-за нехватки денег. Жители, пришедшие на заседание, встретили решение"
        " возмущёнными криками, а оппозиция пообещала обратиться в суд.",
    ),
    (
        "ru",
        "После нескольких дней сильных дождей в южных районах страны вышли из берегов реки."
        " Спасатели эвакуировали сотни людей, во многих сёлах нет электричества.",
    ),
    (
        "uk",
        "Міська рада у вівторок вирішила закрити дві бібліотеки та скоротити кількість"
        " автобусних маршрутів через брак коштів. Мешканці, які прийшли на засідання,"
        " обурилися рішенням, а опозиція пообіцяла звернутися до суду.",
    ),
    (
        "uk",
        "Після кількох днів сильних дощів у південних областях країни річки вийшли з берегів."
        " Рятувальники евакуювали сотні людей, у багатьох селах немає світла.",
    ),
    (
        "pl",
        "Rada miasta zdecydowała we wtorek o zamknięciu dwóch bibliotek i ograniczeniu linii"
        " autobusowych z powodu braku pieniędzy. Mieszkańcy, którzy przyszli na sesję, głośno"
        " protestowali, a opozycja zapowiedziała skargę do sądu.",
    ),
    (
        "pl",
        "Po kilku dniach intensywnych opadów wiele rzek na południu kraju wystąpiło z brzegów."
        " Strażacy ewakuowali setki osób, a w wielu wsiach nie ma prądu.",
    ),
    (
        "tr",
        "Belediye meclisi salı günü bütçe yetersizliği nedeniyle iki kütüphaneyi kapatma ve"
        " bazı otobüs hatlarını kaldırma kararı aldı. Toplantıya katılan vatandaşlar karara"
        " tepki gösterdi, muhalefet ise konuyu mahkemeye taşıyacağını açıkladı.",
    ),
    (
        "tr",
        "Günlerdir süren yoğun yağışların ardından ülkenin güneyindeki birçok nehir taştı."
        " Kurtarma ekipleri yüzlerce kişiyi tahliye etti ve pek çok köyde elektrik kesildi.",
    ),
    (
        "id",
        "Dewan kota pada hari Selasa memutuskan untuk menutup dua perpustakaan dan mengurangi"
        " jumlah rute bus karena kekurangan dana. Warga yang hadir dalam rapat itu memprotes"
        " keputusan tersebut, dan pihak oposisi berjanji akan membawanya ke pengadilan.",
    ),
    (
        "id",
        "Setelah hujan deras selama beberapa hari, sejumlah sungai di wilayah selatan meluap."
        " Tim penyelamat telah mengevakuasi ratusan warga dan listrik padam di banyak desa.",
    ),
    (
        "ar",
        "قرر المجلس البلدي يوم الثلاثاء إغلاق مكتبتين وتقليص خطوط الحافلات بسبب نقص"
        " الميزانية. واحتج السكان الذين حضروا الجلسة على القرار، وتعهدت المعارضة باللجوء إلى"
        " القضاء.",
    ),
    (
        "ar",
        "بعد أيام من الأمطار الغزيرة فاضت عدة أنهار في جنوب البلاد، وأجلت فرق الإنقاذ مئات"
        " الأشخاص، وانقطعت الكهرباء عن كثير من القرى.",
    ),
    (
        "fa",
        "شورای شهر روز سه‌شنبه تصمیم گرفت به دلیل کمبود بودجه دو کتابخانه را ببندد و تعدادی"
        " از خطوط اتوبوس را حذف کند. شهروندانی که در جلسه حاضر بودند به این تصمیم اعتراض"
        " کردند و مخالفان گفتند به دادگاه شکایت می‌کنند.",
    ),
    (
        "fa",
        "پس از چند روز بارش شدید باران، چند رودخانه در جنوب کشور طغیان کرد. نیروهای امدادی"
        " صدها نفر را از خانه‌هایشان خارج کردند و برق بسیاری از روستاها قطع شده است.",
    ),
    (
        "ur",
        "شہر کی کونسل نے منگل کو بجٹ کی کمی کی وجہ سے دو کتب خانے بند کرنے اور کئی بس روٹ ختم"
        " کرنے کا فیصلہ کیا۔ اجلاس میں موجود شہریوں نے اس فیصلے پر احتجاج کیا اور اپوزیشن نے"
        " عدالت جانے کا اعلان کیا۔",
    ),
    (
        "ur",
        "کئی دنوں کی شدید بارشوں کے بعد ملک کے جنوبی علاقوں میں دریا بپھر گئے۔ امدادی ٹیموں نے"
        " سینکڑوں افراد کو محفوظ مقامات پر منتقل کیا اور کئی دیہات میں بجلی بند ہے۔",
    ),
)

# Too short to tell, all from English pages: `und` or `en` is right, anything else is wrong.
UNDECIDABLE: tuple[str, ...] = (
    "Photos",
    "Video",
    "Watch live",
    "Live updates",
    "Update 3",
    "In pictures",
    "Oil prices",
    "Man arrested",
    "Gaza ceasefire talks",
    "Taylor Swift",
    "COVID-19",
    "Photo: Northwire",
)
