"""iamcheck: can this person open the console of this IBM Cloud VPC instance, and if not, why."""

__version__ = "0.1.0"
