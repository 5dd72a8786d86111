"""A small population and a quiet world, shared by the mechanism tests."""

SMALL = dict(
    n_students=1200,
    n_technical_universities=2,
    n_art_schools=1,
    n_comprehensive_universities=2,
    n_firms_tech=30,
    n_firms_design=16,
    n_firms_agri=14,
)
N_UNIS = 5

# A quiet world: nothing forms, dissolves or turns over unless a test makes it.
QUIET = dict(
    contact_rate=0.0,
    negotiation_dropout=0.0,
    downturn_probability=0.0,
    staff_turnover_hazard=0.0,
    value_learning_rate=0.0,
    internship_programme_share=0.0,  # no self-arranged placements
)

# The smallest world a study file runs quickly: its [population] table.
TINY_POPULATION_TABLE = """
[population]
n_students = 400
technical_universities = 1
art_schools = 1
comprehensive_universities = 1
firms_tech = 6
firms_design = 4
firms_agri = 3
"""
