// Top-level classes used by Main: an abstract hierarchy with interfaces.
interface Named {
    String name();

    default String describe() {
        return "I am " + decorate(name());
    }

    static String shout(Named n) {
        return n.name().toUpperCase() + "!";
    }

    private String decorate(String s) {
        return "<" + s + ">";
    }
}

interface Scalable {
    Shape scaled(double factor);

    default String describe() {
        return "scalable";
    }
}

abstract class Shape implements Named, Comparable<Shape> {
    static int created;
    protected final String label;

    protected Shape(String label) {
        this.label = label;
        created++;
    }

    abstract double area();

    double perimeter() {
        return 0;
    }

    public String name() {
        return label;
    }

    public int compareTo(Shape other) {
        return Double.compare(area(), other.area());
    }

    @Override
    public String toString() {
        return name() + String.format("[area=%.3f, perimeter=%.3f]", area(), perimeter());
    }
}

class Circle extends Shape implements Scalable {
    final double r;

    Circle(double r) {
        super("circle");
        this.r = r;
    }

    double area() {
        return Math.PI * r * r;
    }

    @Override
    double perimeter() {
        return 2 * Math.PI * r;
    }

    public Shape scaled(double f) {
        return new Circle(r * f);
    }

    // both Named and Scalable have a default describe(): must override
    @Override
    public String describe() {
        return super.describe() + " and " + Scalable.super.describe();
    }
}

class Rect extends Shape {
    final double w, h;

    Rect(double w, double h) {
        this("rect", w, h);
    }

    protected Rect(String label, double w, double h) {
        super(label);
        this.w = w;
        this.h = h;
    }

    double area() {
        return w * h;
    }

    @Override
    double perimeter() {
        return 2 * (w + h);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Rect r)) return false;
        return r.w == w && r.h == h;
    }

    @Override
    public int hashCode() {
        return (int) (w * 31 + h);
    }
}

class Square extends Rect {
    Square(double side) {
        super("square", side, side);
    }

    @Override
    public String name() {
        return "square(" + w + ")";
    }

    @Override
    double perimeter() {
        return 4 * w;
    }

    String superName() {
        return super.name();
    }
}
