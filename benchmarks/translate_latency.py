"""Cold and warm Apertium latency per short question and per ~1,000-character passage.

Cold: a new Translator (pipeline processes started) for one question.
Warm: the same Translator, cache cleared before each call, median of 50 questions.

    python benchmarks/translate_latency.py            # --smoke: 3 warm calls each (CI)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.translate import Translator  # noqa: E402

QUESTIONS = {
    "en": ["What reforms improve access to justice for women?", "How are juvenile offenders treated by the courts?",
           "Which commitments reduce pretrial detention?", "Is legal aid free for poor defendants?",
           "What does the plan say about prison overcrowding?"],
    "es": ["¿Qué reformas mejoran el acceso a la justicia para las mujeres?", "¿Cómo tratan los tribunales a los menores infractores?",
           "¿Qué compromisos reducen la prisión preventiva?", "¿Es gratuita la asistencia jurídica para los acusados pobres?",
           "¿Qué dice el plan sobre el hacinamiento carcelario?"],
}
PASSAGE = ("El Ministerio de Justicia se compromete a ampliar la asistencia jurídica gratuita en las zonas rurales. "
           "Los tribunales publicarán sus sentencias en formato abierto dentro de los treinta días siguientes. "
           "Se creará un registro nacional de personas privadas de libertad, actualizado cada semana. "
           "Las organizaciones de la sociedad civil participarán en el seguimiento del compromiso. "
           "El plan prevé la formación de jueces y fiscales en perspectiva de género y en justicia juvenil. "
           "Los resultados se evaluarán al final del segundo año con indicadores publicados en el portal de datos abiertos. "
           "La reforma también reduce los plazos de la prisión preventiva y establece alternativas a la detención. "
           "Cada institución responsable nombrará una persona de contacto y rendirá cuentas ante el foro multiactor. "
           "Las víctimas podrán consultar el estado de su causa en línea sin necesidad de abogado.")


def run(source: str, target: str, calls: int = 50) -> None:
    questions = QUESTIONS[source]
    cold = Translator()
    started = time.perf_counter()
    cold.translate(questions[0], source, target)
    cold_s = time.perf_counter() - started
    warm = []
    for i in range(calls):
        cold._cache.clear()
        started = time.perf_counter()
        cold.translate(questions[i % len(questions)], source, target)
        warm.append(time.perf_counter() - started)
    cold.close()
    print(f"{source}->{target}: cold {cold_s * 1000:.0f} ms, warm median {statistics.median(warm) * 1000:.1f} ms "
          f"(max {max(warm) * 1000:.1f} ms, n={calls})")


def passage(calls: int = 10) -> None:
    engine = Translator()
    engine.translate("hola", "es", "en")
    times = []
    for _ in range(calls):
        engine._cache.clear()
        started = time.perf_counter()
        result = engine.translate_passage(PASSAGE, "es", "en")
        times.append(time.perf_counter() - started)
    engine.close()
    print(f"passage es->en ({len(PASSAGE)} chars): warm median {statistics.median(times) * 1000:.0f} ms (n={calls})")
    print(result.label(), "|", result.text[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="CI check: 3 warm calls each instead of 50 and 10")
    args = parser.parse_args()
    for pair in (("en", "es"), ("es", "en"), ("en", "fr")):
        run(*pair, calls=3 if args.smoke else 50)
    passage(calls=3 if args.smoke else 10)


if __name__ == "__main__":
    main()
